// Tests for UDH parsing and reassembly of concatenated SMS, including the full encode→receive round trip.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseUdh, Reassembler } from '../../../src/domain/sms/reassemble.ts';
import { analyze, decodeText, encodeParts } from '../../../src/domain/sms/segments.ts';

const runs = Number(process.env.QUN_FUZZ_RUNS ?? 500);

const part = (seq: number, text: string, now = 0, extra: Partial<{ total: number; ref: number }> = {}) => ({
  from: '+15550001',
  to: '+15550002',
  ref: extra.ref ?? 7,
  total: extra.total ?? 3,
  seq,
  text,
  now,
});

describe('parseUdh', () => {
  test('8-bit reference', () => {
    const u = parseUdh(Buffer.from([0x05, 0x00, 0x03, 0x2a, 0x02, 0x01, 0x61, 0x62]));
    assert.deepEqual(u, { ref: 0x2a, total: 2, seq: 1, body: Buffer.from('ab') });
  });
  test('16-bit reference', () => {
    const u = parseUdh(Buffer.from([0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02, 0x61]));
    assert.deepEqual(u, { ref: 0x1234, total: 3, seq: 2, body: Buffer.from('a') });
  });
  test('other elements are skipped by their length', () => {
    // Port addressing (IEI 0x05, 4 octets) before the concatenation element.
    const buf = Buffer.from([0x0b, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x00, 0x03, 0x09, 0x04, 0x04, 0x7a]);
    assert.deepEqual(parseUdh(buf), { ref: 9, total: 4, seq: 4, body: Buffer.from('z') });
  });
  test('a UDH without a concatenation element is a single part', () => {
    const buf = Buffer.from([0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x41]);
    assert.deepEqual(parseUdh(buf), { ref: 0, total: 1, seq: 1, body: Buffer.from('A') });
  });
  test('junk yields null', () => {
    for (const bytes of [
      [],
      [0x05, 0x00, 0x03, 0x01],
      [0x03, 0x00, 0x03, 0x01],
      [0x05, 0x00, 0x02, 0x01, 0x02, 0x01],
      [0x06, 0x08, 0x03, 0x01, 0x02, 0x01, 0x00],
      [0x01, 0x00],
      [0x04, 0x05, 0x04, 0x00, 0x00],
    ]) {
      assert.equal(parseUdh(Buffer.from(bytes)), null, JSON.stringify(bytes));
    }
  });
});

describe('Reassembler', () => {
  test('releases the text once all parts are in, in seq order', () => {
    const r = new Reassembler();
    assert.equal(r.add(part(3, 'c')), null);
    assert.equal(r.add(part(1, 'a')), null);
    assert.equal(r.pending, 1);
    assert.equal(r.add(part(2, 'b')), 'abc');
    assert.equal(r.pending, 0);
  });
  test('a single part passes straight through', () => {
    assert.equal(new Reassembler().add(part(1, 'solo', 0, { total: 1 })), 'solo');
  });
  test('repeated parts are dropped, also after completion', () => {
    const r = new Reassembler();
    r.add(part(1, 'a'));
    assert.equal(r.add(part(1, 'a')), null);
    r.add(part(2, 'b'));
    assert.equal(r.add(part(3, 'c')), 'abc');
    assert.equal(r.add(part(2, 'b')), null);
    assert.equal(r.pending, 0);
    assert.equal(r.duplicates, 2);
    assert.equal(r.rejected, 0);
  });
  test('a reused reference with new content starts a new message', () => {
    const r = new Reassembler();
    r.add(part(1, 'a', 0, { total: 2 }));
    assert.equal(r.add(part(2, 'b', 0, { total: 2 })), 'ab');
    assert.equal(r.add(part(1, 'x', 5, { total: 2 })), null);
    assert.equal(r.add(part(2, 'y', 5, { total: 2 })), 'xy');
  });
  test('sets are keyed by sender, recipient and reference', () => {
    const r = new Reassembler();
    r.add(part(1, 'a', 0, { total: 2 }));
    r.add({ ...part(1, 'A', 0, { total: 2 }), from: '+15559999' });
    r.add(part(1, 'q', 0, { total: 2, ref: 8 }));
    assert.equal(r.pending, 3);
    assert.equal(r.add({ ...part(2, 'B', 0, { total: 2 }), from: '+15559999' }), 'AB');
  });
  test('bad parts are rejected and counted', () => {
    const r = new Reassembler();
    assert.equal(r.add(part(1, 'a', 0, { total: 0 })), null);
    assert.equal(r.add(part(1, 'a', 0, { total: 256 })), null);
    assert.equal(r.add(part(0, 'a')), null);
    assert.equal(r.add(part(4, 'a')), null);
    assert.equal(r.add(part(1.5, 'a')), null);
    r.add(part(1, 'a'));
    assert.equal(r.add(part(2, 'b', 0, { total: 4 })), null); // contradicts the open set's total
    assert.equal(r.rejected, 6);
    assert.equal(r.pending, 1);
  });
  test('expire returns what arrived of stale sets and keeps fresh ones', () => {
    const r = new Reassembler();
    r.add(part(3, 'c', 1000));
    r.add(part(1, 'a', 1000));
    r.add(part(1, 'fresh', 5000, { ref: 9 }));
    assert.deepEqual(r.expire(6000, 5000), []);
    assert.deepEqual(r.expire(6001, 5000), [
      { from: '+15550001', to: '+15550002', ref: 7, partial: 'ac', missing: [2] },
    ]);
    assert.equal(r.pending, 1);
    assert.equal(r.add(part(2, 'b', 6002)), null); // a straggler now opens a new set
    assert.equal(r.pending, 2);
  });
});

describe('round trip: encodeParts → parseUdh → decode → reassemble', () => {
  test('any text, any shuffled and duplicated arrival order', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 700 }),
          fc.string({ unit: 'grapheme', maxLength: 700 }),
        ),
        fc.integer({ min: 0, max: 0xffff }),
        fc.boolean(),
        fc.gen(),
        (text, ref, udh16, g) => {
          const { encoding } = analyze(text);
          const payloads = encodeParts(text, encoding, ref, { udh16 });
          if (payloads.length === 1) {
            assert.equal(decodeText(payloads[0]!, encoding), text);
            return;
          }
          const n = payloads.length;
          const order = g(fc.shuffledSubarray, payloads, { minLength: n, maxLength: n });
          for (const i of g(fc.array, fc.nat(n - 1), { maxLength: 4 })) {
            order.splice(g(fc.nat, order.length), 0, payloads[i]!);
          }
          const r = new Reassembler();
          const done: string[] = [];
          for (const [t, payload] of order.entries()) {
            const udh = parseUdh(payload);
            assert.ok(udh, 'multi-part payloads carry a UDH');
            assert.equal(udh.ref, udh16 ? ref : ref & 0xff);
            assert.equal(udh.total, n);
            const body = decodeText(udh.body, encoding);
            const out = r.add({ from: 'a', to: 'b', ...udh, text: body, now: t });
            if (out !== null) done.push(out);
          }
          assert.deepEqual(done, [text]);
          assert.equal(r.pending, 0);
          assert.equal(r.rejected, 0);
        },
      ),
      { numRuns: runs },
    );
  });
});
