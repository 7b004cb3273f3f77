// The SMPP gateway's pure parts: receipt text and TLVs, data_coding, addresses, and flow control.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { destinationAddr, isE164, moSource } from '../../../src/channels/sms/gateways/smpp/addresses.ts';
import { Window } from '../../../src/channels/sms/gateways/smpp/flow.ts';
import { decodeBody } from '../../../src/channels/sms/gateways/smpp/mo-decode.ts';
import { normaliseId } from '../../../src/channels/sms/gateways/smpp/part-refs.ts';
import { parseReceiptText, readReceipt } from '../../../src/channels/sms/gateways/smpp/receipt-text.ts';
import { statusName } from '../../../src/channels/sms/gateways/smpp/status.ts';
import { encodeText } from '../../../src/domain/sms/segments.ts';

test('the Appendix B receipt text is read field by field, in any case', () => {
  const s =
    'id:0A1b2C sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Meet at 8';
  assert.deepEqual(parseReceiptText(s), {
    id: '0A1b2C',
    sub: '001',
    dlvrd: '001',
    submitDate: '2501011200',
    doneDate: '2501011201',
    stat: 'DELIVRD',
    err: '000',
    text: 'Meet at 8',
  });
  assert.equal(parseReceiptText('ID:7 STAT:UNDELIV ERR:011').stat, 'UNDELIV');
});

test('receipts: TLVs win over the text, final states only, errors kept in the detail', () => {
  assert.deepEqual(readReceipt({ text: 'id:1 stat:DELIVRD err:000' }), {
    id: '1',
    stat: 'DELIVRD',
    delivered: true,
    final: true,
    detail: 'DELIVRD',
  });
  const tlv = readReceipt({ text: 'id:1 stat:DELIVRD err:000', receiptedId: 'ff', messageState: 5 });
  assert.equal(tlv?.id, 'ff');
  assert.equal(tlv?.delivered, false);
  assert.equal(readReceipt({ text: 'id:2 stat:UNDELIV err:34' })?.detail, 'UNDELIV err:34');
  assert.equal(readReceipt({ text: 'id:3 stat:DELIVERED' })?.stat, 'DELIVRD');
  assert.equal(readReceipt({ text: 'id:4 stat:ENROUTE' })?.final, false);
  assert.equal(readReceipt({ text: 'id:5 stat:ACCEPTD' })?.final, false);
  assert.equal(readReceipt({ text: 'stat:DELIVRD' }), null, 'no id, no receipt');
});

test('message ids compare without case or leading zeros', () => {
  assert.equal(normaliseId('000A1f'), normaliseId('a1F'));
  assert.equal(normaliseId('0'), '0');
});

test('status names carry the ESME name and code', () => {
  assert.equal(statusName(0x58), 'ESME_RTHROTTLED (0x58)');
  assert.equal(statusName(0x0b), 'ESME_RINVDSTADR (0x0B)');
  assert.equal(statusName(0x4242), 'unknown status (0x4242)');
});

test('data_coding: GSM-7, UCS-2, Latin-1 and the GSM 03.38 coding groups', () => {
  assert.equal(decodeBody(encodeText('{ok} €', 'gsm7'), 0x00), '{ok} €');
  assert.equal(decodeBody(encodeText('你好 🙂', 'ucs2'), 0x08), '你好 🙂');
  assert.equal(decodeBody(Buffer.from('café', 'latin1'), 0x03), 'café');
  assert.equal(decodeBody(encodeText('你好', 'ucs2'), 0x18), '你好', 'general group, UCS-2 with class');
  assert.equal(decodeBody(encodeText('hi@', 'gsm7'), 0xf1), 'hi@', 'data coding/message class group');
});

test('addresses: E.164 only; TON decides the destination digits; MO sources get their + back', () => {
  assert.ok(isE164('+8613800138000'));
  assert.ok(!isE164('13800138000'));
  assert.equal(destinationAddr('+8613800138000', 1), '8613800138000');
  assert.equal(destinationAddr('+8613800138000', 2), '13800138000');
  assert.equal(destinationAddr('+447700900123', 0), '447700900123');
  assert.equal(moSource('8613800138000', 1), '+8613800138000');
  assert.equal(moSource('13800138000', 2), '13800138000');
});

// The pacer's rate is checked where it matters, at the SMSC (throttle.test.ts: submits per 1 s window);
// asserting gaps between timer callbacks here would be flaky under load.
test('the window holds at most its size', async () => {
  const w = new Window(2);
  await w.acquire();
  await w.acquire();
  let third = false;
  const p = w.acquire().then(() => {
    third = true;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(third, false);
  w.release();
  await p;
  assert.equal(w.inFlight, 2);
});
