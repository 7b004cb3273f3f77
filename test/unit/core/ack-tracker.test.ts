// Ack deadlines: one FIFO, cumulative acks, progress restarts the timer, no progress falls through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckTracker } from '../../../src/channels/live/ack-tracker.ts';

test('an acked range never times out', () => {
  const t = new AckTracker(100);
  t.sent(1, 9, 5, 4, 0);
  t.sent(1, 9, 6, 4, 10);
  assert.equal(t.acked(1, 9, 6), true);
  assert.deepEqual(t.expire(1000), []);
  assert.equal(t.size, 0);
});

test('no ack within the timeout: the whole unacked range falls through once', () => {
  const t = new AckTracker(100);
  t.sent(1, 9, 5, 4, 0);
  t.sent(1, 9, 6, 4, 50);
  assert.deepEqual(t.expire(99), []);
  assert.deepEqual(t.expire(100), [{ userId: 1, groupId: 9, fromSeq: 4, toSeq: 6, armedAt: 0 }]);
  assert.deepEqual(t.expire(1000), []);
});

test('partial progress restarts the deadline for the rest', () => {
  const t = new AckTracker(100);
  t.sent(1, 9, 5, 4, 0);
  t.sent(1, 9, 6, 4, 0);
  t.acked(1, 9, 5);
  assert.deepEqual(t.expire(100), []);
  // The deadline that fired was armed at the progress (t = 100), not at the first frame.
  assert.deepEqual(t.expire(200), [{ userId: 1, groupId: 9, fromSeq: 5, toSeq: 6, armedAt: 100 }]);
});

test('stale or repeated acks do not move the cursor', () => {
  const t = new AckTracker(100);
  t.sent(2, 3, 10, 9, 0);
  assert.equal(t.acked(2, 3, 10), true);
  t.sent(2, 3, 11, 10, 1);
  assert.equal(t.acked(2, 3, 10), false);
  assert.equal(t.acked(2, 3, 11), true);
});

test('forget drops a removed member', () => {
  const t = new AckTracker(100);
  t.sent(1, 9, 5, 4, 0);
  t.forget(1, 9);
  assert.deepEqual(t.expire(1000), []);
});
