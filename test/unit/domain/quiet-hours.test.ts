// Quiet hours across midnight, in the member's zone, and the zone a phone number's region implies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTimeZone, quietEndsAt, zoneForPhone } from '../../../src/domain/quiet-hours.ts';

const at = (iso: string) => Date.parse(iso);

test('a window across midnight holds from its start to its end, in the given zone', () => {
  const q = { start: 22, end: 7 };
  // Shanghai is UTC+8: 23:30 local is 15:30Z; the window ends at 07:00 local = 23:00Z.
  assert.equal(quietEndsAt(at('2026-12-01T15:30:00Z'), q, 'Asia/Shanghai'), at('2026-12-01T23:00:00Z'));
  // 03:00 local, after midnight: the same end.
  assert.equal(quietEndsAt(at('2026-12-01T19:00:00Z'), q, 'Asia/Shanghai'), at('2026-12-01T23:00:00Z'));
  // 07:00 sharp and 21:59 local are outside.
  assert.equal(quietEndsAt(at('2026-12-01T23:00:00Z'), q, 'Asia/Shanghai'), null);
  assert.equal(quietEndsAt(at('2026-12-01T13:59:00Z'), q, 'Asia/Shanghai'), null);
  // 22:00 local is inside.
  assert.equal(quietEndsAt(at('2026-12-01T14:00:00Z'), q, 'Asia/Shanghai'), at('2026-12-01T23:00:00Z'));
});

test('a window within one day, an empty window, and no window', () => {
  assert.equal(
    quietEndsAt(at('2026-12-01T13:15:00Z'), { start: 13, end: 14 }, 'UTC'),
    at('2026-12-01T14:00:00Z'),
  );
  assert.equal(quietEndsAt(at('2026-12-01T14:15:00Z'), { start: 13, end: 14 }, 'UTC'), null);
  assert.equal(quietEndsAt(at('2026-12-01T13:15:00Z'), { start: 13, end: 13 }, 'UTC'), null);
  assert.equal(quietEndsAt(at('2026-12-01T13:15:00Z'), null, 'UTC'), null);
});

test('the zone comes from the number region, UTC when unknown', () => {
  assert.equal(zoneForPhone('+8613800138000'), 'Asia/Shanghai');
  assert.equal(zoneForPhone('+447400123456'), 'Europe/London');
  assert.equal(zoneForPhone('+999'), 'UTC');
  assert.equal(isTimeZone('Europe/Berlin'), true);
  assert.equal(isTimeZone('Mars/Olympus'), false);
});
