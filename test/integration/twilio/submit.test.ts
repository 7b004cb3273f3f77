// Outbound through the Twilio gateway: what the provider is sent, and how each answer becomes submitted,
// failed (for good, or opted out) or retry; reconcile; settings problems reported all at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SubmitResult } from '../../../src/channels/sms/gateway.ts';
import { createTwilioGateway } from '../../../src/channels/sms/gateways/twilio/index.ts';
import { analyze } from '../../../src/domain/sms/segments.ts';
import { outbound } from '../../contract/sms-gateway.contract.ts';
import { POOL_NUMBER } from '../../helpers/twilio/fake-twilio.ts';
import {
  PUBLIC_BASE,
  type TwilioHarness,
  twilioContext,
  twilioHarness,
} from '../../helpers/twilio/harness.ts';

const PHONE = '+8613800138000';
const submit = (h: TwilioHarness, to = PHONE, text = 'hello 你好'): Promise<SubmitResult> =>
  h.gateway.submit(outbound(to, '10658019999', text), analyze(text, { smartSubstitution: true }));

describe('twilio submit', () => {
  let h: TwilioHarness;
  before(async () => {
    // A timeout that a loaded machine's first request never trips; the hang case has its own, short one.
    h = await twilioHarness({ QUN_TWILIO_TIMEOUT: '5s' });
  });
  after(async () => {
    await h.close();
  });

  test('a text goes out from the configured sender with a status callback', async () => {
    const r = await submit(h);
    assert.equal(r.outcome, 'submitted');
    const m = h.fake.messages.at(-1)!;
    assert.deepEqual(r, { outcome: 'submitted', ref: m.sid });
    assert.match(m.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(m.from, '+15005550006', 'not the group address: providers refuse unknown senders');
    assert.equal(m.to, PHONE);
    assert.equal(m.body, 'hello 你好');
    assert.equal(m.statusCallback, `${PUBLIC_BASE}/v1/sms/twilio/status`);
  });

  test('21610 fails the text as opted out and tells the hooks', async () => {
    h.fake.optedOut.add('+8613800138005');
    const r = await submit(h, '+8613800138005');
    assert.equal(r.outcome, 'failed');
    assert.ok(r.outcome === 'failed' && r.optedOut === true);
    assert.match(r.outcome === 'failed' ? r.reason : '', /^21610: Attempt to send to unsubscribed/);
    assert.deepEqual(h.hooks.optOuts, ['+8613800138005']);
  });

  test('another 4xx fails the text with code and message', async () => {
    h.fake.trouble.push({
      status: 400,
      code: 21211,
      message: "The 'To' number is not a valid phone number.",
    });
    const r = await submit(h);
    assert.deepEqual(r, { outcome: 'failed', reason: "21211: The 'To' number is not a valid phone number." });
  });

  test('429 and 5xx are retried, honouring Retry-After', async () => {
    h.fake.trouble.push({ status: 429, retryAfter: '7' });
    assert.deepEqual(await submit(h), { outcome: 'retry', reason: '20429: Busy', afterMs: 7000 });
    h.fake.trouble.push({ status: 500 });
    assert.deepEqual(await submit(h), { outcome: 'retry', reason: '20500: Busy', afterMs: 1000 });
    h.fake.trouble.push({ status: 503, retryAfter: new Date(Date.now() + 60_000).toUTCString() });
    const r = await submit(h);
    assert.ok(r.outcome === 'retry' && r.afterMs > 55_000 && r.afterMs <= 60_000, JSON.stringify(r));
  });

  test('a provider that does not answer in time is retried', async () => {
    const quick = await twilioHarness({ QUN_TWILIO_TIMEOUT: '300ms' });
    try {
      quick.fake.trouble.push('hang');
      const r = await submit(quick);
      assert.equal(r.outcome, 'retry');
      assert.match(r.outcome === 'retry' ? r.reason : '', /timeout after 300 ms/);
      assert.equal(
        r.outcome === 'retry' && r.unknownOutcome,
        true,
        'a timeout may have reached Twilio: counted as in doubt',
      );
    } finally {
      await quick.close();
    }
  });

  test('reconcile asks Twilio by SID, and cannot know a text it never answered for', async () => {
    const r = await submit(h);
    const ref = r.outcome === 'submitted' ? r.ref : null;
    const o = outbound(PHONE, '10658', 'x');
    assert.equal(await h.gateway.reconcile(o), 'unknown');
    assert.equal(await h.gateway.reconcile({ ...o, gatewayRef: ref }), 'sent');
    assert.equal(await h.gateway.reconcile({ ...o, gatewayRef: `SM${'0'.repeat(32)}` }), 'unknown');
    assert.equal(h.gateway.reachable('+441234567890'), true);
  });
});

test('a Messaging Service SID is sent as MessagingServiceSid, not From', async () => {
  const mg = `MG${'ab'.repeat(16)}`;
  const h = await twilioHarness({ QUN_TWILIO_FROM: mg });
  try {
    assert.equal((await submit(h)).outcome, 'submitted');
    assert.equal(h.fake.messages[0]!.messagingServiceSid, mg);
    assert.equal(h.fake.messages[0]!.from, POOL_NUMBER);
  } finally {
    await h.close();
  }
});

test('refused credentials and an unreachable provider are retried, not failed', async () => {
  const bad = await twilioHarness({ QUN_TWILIO_AUTH_TOKEN: 'wrong-token-123' });
  const down = await twilioHarness({ QUN_TWILIO_BASE_URL: 'http://127.0.0.1:1' });
  try {
    assert.deepEqual(await submit(bad), { outcome: 'retry', reason: '20003: Authenticate', afterMs: 30_000 });
    assert.ok(bad.warnings.some((w) => /credentials/.test(w)));
    const r = await submit(down);
    assert.ok(r.outcome === 'retry' && /^network: /.test(r.reason), JSON.stringify(r));
  } finally {
    await bad.close();
    await down.close();
  }
});

test('stopping the gateway ends a submit in flight as a retry', async () => {
  const h = await twilioHarness({ QUN_TWILIO_TIMEOUT: '30s' });
  try {
    h.fake.trouble.push('hang');
    const pending = submit(h);
    await new Promise((r) => setTimeout(r, 50));
    await h.gateway.stop();
    assert.equal((await pending).outcome, 'retry');
  } finally {
    await h.close();
  }
});

test('missing and malformed settings are all reported in one error', () => {
  const make = (env: Record<string, string>) => createTwilioGateway(twilioContext(env));
  assert.throws(
    () => make({}),
    (e: Error) =>
      ['QUN_TWILIO_ACCOUNT_SID', 'QUN_TWILIO_AUTH_TOKEN', 'QUN_TWILIO_FROM'].every((k) =>
        e.message.includes(k),
      ) && /required with QUN_SMS_GATEWAY=twilio/.test(e.message),
  );
  assert.throws(
    () =>
      make({
        QUN_TWILIO_ACCOUNT_SID: 'AC1',
        QUN_TWILIO_AUTH_TOKEN: 'x'.repeat(32),
        QUN_TWILIO_FROM: '+0',
        QUN_TWILIO_TIMEOUT: 'soon',
        QUN_TWILIO_BASE_URL: 'api.twilio.com',
      }),
    (e: Error) =>
      ['QUN_TWILIO_ACCOUNT_SID', 'QUN_TWILIO_FROM', 'QUN_TWILIO_TIMEOUT', 'QUN_TWILIO_BASE_URL'].every((k) =>
        e.message.includes(k),
      ) && !e.message.includes('QUN_TWILIO_AUTH_TOKEN'),
  );
});
