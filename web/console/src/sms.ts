// How many SMS segments a text takes, exactly as the server counts them
// (src/channels/sms/text.cpp): GSM-7 when every character is in the GSM 03.38 alphabet (its
// extension characters take two septets), else UCS-2 in UTF-16 units; 160/153 septets or 70/67
// units per segment, and a character is never split across two segments.
const GSM_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION = "\f^{}\\[~]|€";

export interface Segments {
  encoding: "gsm7" | "ucs2";
  units: number;
  segments: number;
}

export function countSegments(text: string): Segments {
  const points = Array.from(text);
  const gsm = points.every((c) => GSM_BASIC.includes(c) || GSM_EXTENSION.includes(c));
  const widths = points.map((c) =>
    gsm ? (GSM_EXTENSION.includes(c) ? 2 : 1) : (c.codePointAt(0) ?? 0) > 0xffff ? 2 : 1,
  );
  const units = widths.reduce((a, b) => a + b, 0);
  const encoding = gsm ? "gsm7" : "ucs2";
  if (units === 0) return { encoding, units, segments: 0 };
  const single = gsm ? 160 : 70;
  const part = gsm ? 153 : 67;
  if (units <= single) return { encoding, units, segments: 1 };
  let segments = 1;
  let used = 0;
  for (const w of widths) {
    if (used + w > part) {
      segments++;
      used = 0;
    }
    used += w;
  }
  return { encoding, units, segments };
}
