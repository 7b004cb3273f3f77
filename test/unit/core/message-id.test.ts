// Message ids: UUIDv7 (version and variant bits, the time in the first 48 bits, so ids sort like the
// log), and random in the rest, across refills of the pool the random bytes are drawn from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newMessageId } from '../../../src/core/clock.ts';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('ids are UUIDv7 with the given time and never repeat across pool refills', () => {
  const now = Date.UTC(2026, 11, 3, 12, 0, 0);
  const ids = Array.from({ length: 2000 }, () => newMessageId(now));
  for (const id of ids) {
    assert.match(id, UUID_V7);
    assert.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), now);
  }
  assert.equal(new Set(ids).size, ids.length);
  // The random part differs between ids in every position over a sample (no byte stuck at one value).
  const tails = ids.map((id) => id.replace(/-/g, '').slice(16));
  for (let i = 1; i < 16; i++) assert.ok(new Set(tails.map((t) => t[i])).size > 4, `hex digit ${i} varies`);
});

test('ids sort by time', () => {
  const a = newMessageId(1_000_000);
  const b = newMessageId(1_000_001);
  assert.ok(a < b);
});
