// Sends CareDesk webhook requests signed by the official twilio package's own code
// (getExpectedTwilioSignature, checked with validateRequest), as Twilio would sign them, and
// the same requests with one byte changed. Run by scripts/twilio-sdk-test.sh against a live
// server; exits non-zero with the reason when CareDesk answers anything but what Twilio's
// documentation promises.
//   BASE=http://127.0.0.1:PORT PUBLIC_URL=https://... SLUG=... AUTH_TOKEN=... API_TOKEN=...
'use strict';
const twilio = require('twilio');

const { BASE, PUBLIC_URL, SLUG, AUTH_TOKEN, API_TOKEN } = process.env;
let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

async function post(path, params, signature) {
  const res = await fetch(BASE + path, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': signature,
    },
    // As Twilio sends it: application/x-www-form-urlencoded, spaces as '+'.
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.text() };
}

function sign(path, params) {
  const url = PUBLIC_URL + path;
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
  if (!twilio.validateRequest(AUTH_TOKEN, signature, url, params)) {
    throw new Error('the SDK does not accept its own signature');
  }
  return signature;
}

async function conversations() {
  const res = await fetch(BASE + '/api/v1/conversations?channel=sms&limit=200', {
    headers: { Authorization: 'Bearer ' + API_TOKEN },
  });
  return (await res.json()).items.length;
}

function oneByteChanged(s) {
  const i = Math.floor(s.length / 2);
  return s.slice(0, i) + (s[i] === 'x' ? 'y' : 'x') + s.slice(i + 1);
}

async function main() {
  const path = `/hooks/twilio/sms?tenant=${SLUG}`;
  // Bodies that stress the form encoding: spaces, '+', '&', '=', '%', accents, emoji, newlines.
  const texts = [
    'Can I reschedule to Friday?',
    'Refill: 2+2 tabs & a=b 100% sure',
    'Señora Núñez — ¿mañana a las 9?',
    '🤒🤧 feeling worse\nsince Monday',
  ];
  const before = await conversations();
  for (let i = 0; i < texts.length; i++) {
    const params = {
      MessageSid: `SM${String(i).padStart(32, '0')}`,
      SmsSid: `SM${String(i).padStart(32, '0')}`,
      AccountSid: 'AC00000000000000000000000000000001',
      MessagingServiceSid: '',
      From: `+1312555${String(1000 + i)}`,
      To: '+13125550100',
      Body: texts[i],
      NumMedia: '0',
      NumSegments: '1',
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
      FromCity: 'CHICAGO',
      FromState: 'IL',
      FromZip: '60601',
      FromCountry: 'US',
    };
    const signature = sign(path, params);
    const accepted = await post(path, params, signature);
    check(accepted.status === 200 && accepted.body.includes('<Response>'),
          `signed text ${i} accepted (${accepted.status})`);
    const again = await post(path, params, signature);
    check(again.status === 200, `text ${i} delivered again is acknowledged (${again.status})`);
    const tampered = { ...params, Body: oneByteChanged(params.Body) };
    const refused = await post(path, tampered, signature);
    check(refused.status === 403, `text ${i} with one byte of the body changed refused (${refused.status})`);
    const forged = await post(path, params, oneByteChanged(signature));
    check(forged.status === 403, `text ${i} with one byte of the signature changed refused (${forged.status})`);
    const elsewhere = await post(`/hooks/twilio/sms?tenant=${SLUG}x`, params, signature);
    check(elsewhere.status === 403, `text ${i} replayed at another practice's address refused (${elsewhere.status})`);
  }
  const after = await conversations();
  check(after - before === texts.length,
        `each signed text stored once: ${after - before} new conversations for ${texts.length} texts`);

  // A consent keyword, signed the same way, is answered with the practice's confirmation.
  const stop = { MessageSid: 'SM' + 'f'.repeat(32), From: '+13125551000', To: '+13125550100', Body: 'STOP' };
  const stopped = await post(path, stop, sign(path, stop));
  check(stopped.status === 200 && stopped.body.includes('<Message>'), `STOP confirmed (${stopped.status})`);

  // A delivery report for a message we never sent: signed, acknowledged; tampered, refused.
  const statusPath = `/hooks/twilio/status?tenant=${SLUG}`;
  const report = { MessageSid: 'SM' + 'e'.repeat(32), MessageStatus: 'delivered', AccountSid: 'AC1' };
  const reportSignature = sign(statusPath, report);
  check((await post(statusPath, report, reportSignature)).status === 204, 'signed status report acknowledged');
  check((await post(statusPath, { ...report, MessageStatus: 'failed' }, reportSignature)).status === 403,
        'status report with a changed status refused');

  if (failures) {
    console.error(`${failures} check(s) failed`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
