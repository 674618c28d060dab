// The composer's segment count must equal the server's (src/channels/sms/text_test.cpp has the
// same table): the agent is told what the practice will pay for.
import assert from "node:assert/strict";
import { test } from "node:test";
import { load } from "./load.mjs";

const { countSegments } = await load("console/src/sms.ts");
const segments = (t) => countSegments(t).segments;

test("GSM-7 texts: 160 in one, 153 per part after", () => {
  assert.equal(segments(""), 0);
  assert.deepEqual(countSegments("Your appointment is at 3pm @ Main St."), { encoding: "gsm7", units: 37, segments: 1 });
  assert.equal(segments("a".repeat(160)), 1);
  assert.equal(segments("a".repeat(161)), 2);
  assert.equal(segments("a".repeat(306)), 2);
  assert.equal(segments("a".repeat(307)), 3);
  assert.equal(countSegments("Señor Müller, ¿qué tal? à").encoding, "gsm7");
  assert.equal(countSegments("¿está bien?").encoding, "ucs2");
});

test("extension characters take two septets and are never split", () => {
  const euro = countSegments("Copay: 20€ {cash}");
  assert.equal(euro.encoding, "gsm7");
  assert.equal(euro.units, 20);
  assert.equal(segments("[".repeat(80)), 1);
  assert.equal(segments("[".repeat(81)), 2);
  assert.equal(segments("a".repeat(152) + "€" + "a".repeat(7)), 2);
  assert.equal(segments("a".repeat(152) + "€" + "a".repeat(153)), 3);
});

test("anything else is UCS-2 in UTF-16 units; an emoji is two and is never split", () => {
  assert.deepEqual(countSegments("👍"), { encoding: "ucs2", units: 2, segments: 1 });
  assert.equal(segments("x" + "a".repeat(69) + "ç"), 2);
  assert.equal(segments("診".repeat(70)), 1);
  assert.equal(segments("診".repeat(71)), 2);
  assert.equal(segments("x" + "a".repeat(65) + "😀" + "b".repeat(66)), 3);
});
