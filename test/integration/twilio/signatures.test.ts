// Twilio webhooks signed by Twilio's own library (the `twilio` package), both ways it signs them: the
// classic HMAC-SHA1 with the auth token, and SharedKey webhooks (HMAC-SHA256 with the key's secret, named
// by X-Twilio-Webhooks-Signature-Settings); also JSON bodies pinned by bodySHA256, and the URL with its
// default port. Whatever the library would refuse, Qun refuses too, with no hook called.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import twilio from 'twilio';
import { AUTH_TOKEN, newSid } from '../../helpers/twilio/fake-twilio.ts';
import { PUBLIC_BASE, type TwilioHarness, twilioHarness } from '../../helpers/twilio/harness.ts';

const SHARED_SECRET = 'shared-key-secret-0123456789';
const SETTINGS = 'key=webhooks_sharedkey_0123456789abcdef,algorithm=HMAC_SHA256';
const PATH = '/v1/sms/twilio/inbound';
const URL_ = `${PUBLIC_BASE}${PATH}`;

const params = (text: string): Record<string, string> => {
  const sid = newSid('SM');
  return {
    MessageSid: sid,
    SmsSid: sid,
    AccountSid: 'AC0123456789abcdef0123456789abcdef',
    From: '+8613800138000',
    To: '+15005550006',
    Body: text,
    NumMedia: '0',
  };
};

describe('Twilio webhook signatures, made by the twilio package', () => {
  let h: TwilioHarness;
  let bare: TwilioHarness;
  before(async () => {
    h = await twilioHarness({ QUN_TWILIO_WEBHOOK_SHARED_KEY: SHARED_SECRET });
    bare = await twilioHarness();
  });
  after(async () => {
    await h?.close();
    await bare?.close();
  });

  async function post(
    on: TwilioHarness,
    body: string,
    headers: Record<string, string>,
    query = '',
  ): Promise<number> {
    const res = await fetch(`${on.actualBase}${PATH}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  }
  const form = (p: Record<string, string>) => new URLSearchParams(p).toString();
  const last = (on: TwilioHarness) => on.hooks.inbounds.at(-1)?.text;

  test('classic: HMAC-SHA1 with the auth token', async () => {
    const p = params('classic');
    const sig = twilio.getExpectedTwilioSignature(AUTH_TOKEN, URL_, p);
    assert.ok(twilio.validateRequest(AUTH_TOKEN, sig, URL_, p), 'the library accepts its own signature');
    assert.equal(await post(h, form(p), { 'x-twilio-signature': sig }), 200);
    assert.equal(last(h), 'classic');
  });

  test('SharedKey: HMAC-SHA256 with the key secret, named by the settings header', async () => {
    const p = params('sha256');
    const algorithm = twilio.getSignatureAlgorithm(SETTINGS);
    assert.equal(algorithm, 'HMAC_SHA256');
    const sig = twilio.getExpectedTwilioSignature(SHARED_SECRET, URL_, p, algorithm);
    assert.ok(twilio.validateRequest(SHARED_SECRET, sig, URL_, p, algorithm));
    const headers = { 'x-twilio-signature': sig, 'x-twilio-webhooks-signature-settings': SETTINGS };
    assert.equal(await post(h, form(p), headers), 200);
    assert.equal(last(h), 'sha256');
  });

  test('SharedKey without a configured key: an HMAC-SHA256 with the auth token is accepted', async () => {
    const p = params('sha256 token');
    const sig = twilio.getExpectedTwilioSignature(AUTH_TOKEN, URL_, p, 'HMAC_SHA256');
    const headers = { 'x-twilio-signature': sig, 'x-twilio-webhooks-signature-settings': SETTINGS };
    assert.equal(await post(bare, form(p), headers), 200);
    assert.equal(last(bare), 'sha256 token');
  });

  test('the URL with its default port, as the library also accepts', async () => {
    const p = params('port');
    const sig = twilio.getExpectedTwilioSignature(AUTH_TOKEN, URL_.replace('.test/', '.test:443/'), p);
    assert.ok(twilio.validateRequest(AUTH_TOKEN, sig, URL_, p));
    assert.equal(await post(h, form(p), { 'x-twilio-signature': sig }), 200);
    assert.equal(last(h), 'port');
  });

  test('a JSON body pinned by bodySHA256', async () => {
    const body = JSON.stringify(params('json body'));
    const query = `?bodySHA256=${twilio.getExpectedBodyHash(body)}`;
    const sig = twilio.getExpectedTwilioSignature(AUTH_TOKEN, URL_ + query, {});
    assert.ok(twilio.validateRequestWithBody(AUTH_TOKEN, sig, URL_ + query, body));
    const headers = { 'x-twilio-signature': sig, 'content-type': 'application/json' };
    assert.equal(await post(h, body, headers, query), 200);
    assert.equal(last(h), 'json body');
    const altered = body.replace('json body', 'json evil');
    assert.equal(twilio.validateRequestWithBody(AUTH_TOKEN, sig, URL_ + query, altered), false);
    assert.equal(await post(h, altered, headers, query), 403);
  });

  test('whatever the library refuses is refused, with no hook called', async () => {
    const before = h.hooks.inbounds.length + bare.hooks.inbounds.length;
    const p = params('forged');
    const sha256Token = twilio.getExpectedTwilioSignature(AUTH_TOKEN, URL_, p, 'HMAC_SHA256');
    const sha256Key = twilio.getExpectedTwilioSignature(SHARED_SECRET, URL_, p, 'HMAC_SHA256');
    const sha1Key = twilio.getExpectedTwilioSignature(SHARED_SECRET, URL_, p);
    const cases: [TwilioHarness, string, Record<string, string>][] = [
      // SHA-256 without the settings header: the classic scheme is SHA-1.
      [h, sha256Token, {}],
      [h, sha256Key, {}],
      // The settings header with a key configured: the auth token is not that key.
      [h, sha256Token, { 'x-twilio-webhooks-signature-settings': SETTINGS }],
      // The shared secret without the header is not the auth token.
      [h, sha1Key, {}],
      // An algorithm the library does not know.
      [
        h,
        sha256Key,
        { 'x-twilio-webhooks-signature-settings': 'key=webhooks_sharedkey_x,algorithm=HMAC_SHA512' },
      ],
    ];
    for (const [on, sig, extra] of cases) {
      assert.equal(
        await post(on, form(p), { 'x-twilio-signature': sig, ...extra }),
        403,
        JSON.stringify(extra),
      );
    }
    assert.equal(h.hooks.inbounds.length + bare.hooks.inbounds.length, before);
  });
});
