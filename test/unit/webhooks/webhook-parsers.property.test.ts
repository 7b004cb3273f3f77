// Property tests for the webhook parsers (Kannel query bytes and text decoding, Twilio signatures and
// form parameters, SMPP receipt texts): arbitrary input never throws, and a signature only verifies
// for exactly the URL, parameters and token it was made with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { basicPassword, secretMatches } from '../../../src/channels/sms/gateways/kannel/access.ts';
import { decodeText, rawQuery } from '../../../src/channels/sms/gateways/kannel/query.ts';
import { parseReceiptText } from '../../../src/channels/sms/gateways/smpp/receipt-text.ts';
import {
  formParams,
  twilioSignature,
  verifyTwilioSignature,
} from '../../../src/channels/sms/gateways/twilio/signature.ts';

const runs = Number(process.env.QUN_FUZZ_RUNS ?? 1000);

test('Kannel: any query string parses, and any bytes decode, without throwing', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.uint8Array({ maxLength: 200 }),
      fc.string(),
      (q, bytes, cs) => {
        rawQuery(`/v1/sms/kannel/inbound?${q}`);
        for (const coding of [undefined, '0', '1', '2', 'x']) {
          assert.equal(typeof decodeText(Buffer.from(bytes), coding, cs), 'string');
        }
        secretMatches(q, 'a-long-enough-secret');
        basicPassword(q);
      },
    ),
    { numRuns: runs },
  );
});

test('Kannel: percent-encoded UTF-8 text round-trips through the raw query', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
      const q = rawQuery(`/x?text=${encodeURIComponent(text)}&coding=2&charset=UTF-8`);
      assert.equal(decodeText(q.get('text') ?? Buffer.alloc(0), '2', 'UTF-8'), text);
    }),
    { numRuns: runs },
  );
});

const params = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 40 }), {
  maxKeys: 8,
});

test('Twilio: a signature verifies for its own request and for no altered one', () => {
  fc.assert(
    fc.property(
      params,
      fc.webUrl(),
      fc.string({ minLength: 8, maxLength: 40 }),
      fc.string({ minLength: 1, maxLength: 5 }),
      (p, url, token, extra) => {
        const sig = twilioSignature(url, p, token);
        assert.equal(verifyTwilioSignature(url, p, token, sig), true);
        assert.equal(verifyTwilioSignature(`${url}${extra}`, p, token, sig), false, 'another URL');
        assert.equal(verifyTwilioSignature(url, p, `${token}${extra}`, sig), false, 'another token');
        assert.equal(
          verifyTwilioSignature(url, { ...p, [`zz${extra}`]: extra }, token, sig),
          false,
          'an added parameter',
        );
        assert.equal(verifyTwilioSignature(url, p, token, undefined), false);
        assert.equal(
          verifyTwilioSignature(url, p, token, `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`),
          false,
        );
      },
    ),
    { numRuns: runs },
  );
});

test('Twilio: form parameters from any parsed body never throw and never pollute prototypes', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (body) => {
      const out = formParams(body);
      assert.ok(out === undefined || typeof out === 'object');
    }),
    { numRuns: runs },
  );
  formParams(JSON.parse('{"__proto__":{"polluted":"yes"},"From":"+1"}'));
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('SMPP: any receipt text parses without throwing', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (t) => {
      parseReceiptText(t);
      parseReceiptText(
        `id:${t} sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:${t} err:000 text:`,
      );
    }),
    { numRuns: runs },
  );
});
