// Twilio webhooks at the gateway: only requests signed with the auth token over the exact URL and the
// exact params reach the hooks; anything forged, altered or unsigned is a 403 with no hook called.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { twilioSignature } from '../../../src/channels/sms/gateways/twilio/index.ts';
import { analyze } from '../../../src/domain/sms/segments.ts';
import { outbound } from '../../contract/sms-gateway.contract.ts';
import { newSid } from '../../helpers/twilio/fake-twilio.ts';
import { PUBLIC_BASE, type TwilioHarness, twilioHarness } from '../../helpers/twilio/harness.ts';

const PHONE = '+8613800138000';
const NUMBER = '+15005550006';

test('the signature matches the example in Twilio’s documentation', () => {
  const params = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675310',
    Digits: '1234',
    From: '+14158675310',
    To: '+18005551212',
  };
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  assert.equal(twilioSignature(url, params, '12345'), 'GvWf1cFY/Q7PnoempGyD5oXAezc=');
});

describe('twilio webhooks', () => {
  let h: TwilioHarness;
  const calls = () => h.hooks.inbounds.length + h.hooks.receipts.length + h.hooks.optOuts.length;

  before(async () => {
    h = await twilioHarness();
  });
  after(async () => {
    await h.close();
  });

  /** A real text, so status callbacks have a message (and its StatusCallback URL) to name. */
  const sent = async (to = PHONE) => {
    const r = await h.gateway.submit(
      outbound(to, '1065801', 'hi'),
      analyze('hi', { smartSubstitution: true }),
    );
    assert.equal(r.outcome, 'submitted');
    return r.outcome === 'submitted' ? r.ref! : '';
  };

  test('a signed inbound text reaches the hooks with its MessageSid and gets empty TwiML', async () => {
    const sid = newSid('SM');
    const r = await h.fake.inbound({ from: PHONE, to: NUMBER, text: 'CREATE Hiking', sid });
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/xml/);
    assert.match(r.body, /<Response\/>$/);
    assert.deepEqual(h.hooks.inbounds.at(-1), { from: PHONE, to: NUMBER, text: 'CREATE Hiking', ref: sid });
  });

  test('forged, altered, unsigned or mis-addressed webhooks are refused with no effect', async () => {
    const ref = await sent();
    const before = calls();
    const text = { from: PHONE, to: NUMBER, text: 'CREATE Forged' };
    const wrongKey = (url: string, p: Record<string, string>) => twilioSignature(url, p, 'f'.repeat(32));
    const url = `${PUBLIC_BASE}/v1/sms/twilio/inbound`;
    const refusals = [
      await h.fake.inbound(text, { signature: null }),
      await h.fake.inbound(text, { signature: '' }),
      await h.fake.inbound(text, { signature: 'GvWf1cFY/Q7PnoempGyD5oXAezc=' }),
      await h.fake.inbound(text, { signature: wrongKey(url, { Body: 'CREATE Forged' }) }),
      await h.fake.inbound(text, { alter: (p) => ({ ...p, Body: 'CREATE Altered' }) }),
      await h.fake.inbound(text, { alter: (p) => ({ ...p, Extra: 'x' }) }),
      await h.fake.inbound(text, {
        alter: (p) => Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'NumMedia')),
      }),
      // Signed for the bare URL, delivered with a query string, or for another host.
      await h.fake.inbound(text, { query: '?a=1', signUrl: url }),
      await h.fake.inbound(text, { signUrl: url.replace('qun.example.test', 'evil.example.test') }),
      await h.fake.status(ref, 'delivered', undefined, { signature: null }),
      await h.fake.status(ref, 'undelivered', '21610', { alter: (p) => ({ ...p, To: '+8613800138009' }) }),
      await h.fake.status(ref, 'failed', undefined, { alter: (p) => ({ ...p, MessageStatus: 'delivered' }) }),
    ];
    for (const r of refusals) assert.equal(r.status, 403, r.body);
    assert.equal(calls(), before);
    assert.ok(!h.hooks.inbounds.some((t) => /Forged|Altered/.test(t.text)));
    assert.equal(h.hooks.receipts.length, 0);
    assert.equal(h.hooks.optOuts.length, 0);
    assert.ok(h.warnings.filter((w) => /signature/.test(w)).length >= refusals.length);
  });

  test('the exact URL including its query is what is signed', async () => {
    const r = await h.fake.inbound(
      { from: PHONE, to: NUMBER, text: 'with query' },
      { query: '?tenant=a&b=2' },
    );
    assert.equal(r.status, 200);
    assert.equal(h.hooks.inbounds.at(-1)!.text, 'with query');
  });

  test('status callbacks: progress is ignored, final states are receipts, 21610 opts out', async () => {
    const ref = await sent();
    const before = h.hooks.receipts.length;
    for (const s of ['queued', 'sending', 'sent']) assert.equal((await h.fake.status(ref, s)).status, 204);
    assert.equal(h.hooks.receipts.length, before);
    assert.equal((await h.fake.status(ref, 'delivered')).status, 204);
    assert.deepEqual(h.hooks.receipts.at(-1), { ref, delivered: true, detail: 'delivered' });

    const ref2 = await sent('+8613800138001');
    await h.fake.status(ref2, 'undelivered', '30003');
    assert.deepEqual(h.hooks.receipts.at(-1), {
      ref: ref2,
      delivered: false,
      detail: 'undelivered 30003 handset unreachable',
    });
    const ref3 = await sent('+8613800138002');
    await h.fake.status(ref3, 'failed', '21610');
    assert.deepEqual(h.hooks.optOuts, ['+8613800138002']);
    assert.equal(h.hooks.receipts.at(-1)!.delivered, false);
  });

  test('a replayed webhook carries the same MessageSid, so the core can drop it', async () => {
    const sid = newSid('SM');
    const t = { from: PHONE, to: NUMBER, text: 'twice', sid };
    assert.equal((await h.fake.inbound(t)).status, 200);
    assert.equal((await h.fake.inbound(t)).status, 200);
    const refs = h.hooks.inbounds.filter((x) => x.text === 'twice').map((x) => x.ref);
    assert.deepEqual(refs, [sid, sid]);
  });

  test('a signed webhook missing required params is a 400, not a crash', async () => {
    const r = await h.fake.webhook(`${PUBLIC_BASE}/v1/sms/twilio/status`, { MessageStatus: 'delivered' });
    assert.equal(r.status, 400);
  });
});
