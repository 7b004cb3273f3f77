// Which members a fan-out decides a rung for, and when policy must be read: only when some rung is one
// policy may change (below live). A fan-out to live members only skips policy's reads; one offline
// member (inbox, SMS) brings them back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fanOutLadders } from '../../../src/core/fan-out-ladders.ts';
import type { Membership } from '../../../src/domain/group.ts';
import type { MemberPresence } from '../../../src/domain/routing.ts';
import type { StoredMessage } from '../../../src/store/store.ts';

const member = (userId: number, over: Partial<Membership> = {}): Membership => ({
  groupId: 1,
  userId,
  phone: `+861380000000${userId}`,
  displayName: null,
  smsOptedOut: false,
  role: 'member',
  state: 'active',
  joinedAt: 0,
  joinedSeq: 0,
  ackedSeq: 0,
  fetchedSeq: 0,
  readSeq: 0,
  routedSeq: 0,
  ...over,
});
const msg = (over: Partial<StoredMessage> = {}): StoredMessage =>
  ({ groupId: 1, seq: 5, senderId: 1, audience: 'all', ...over }) as StoredMessage;
const live: MemberPresence = { liveConnections: 1, webOnline: false };
const away: MemberPresence = { liveConnections: 0, webOnline: false };
const never = () => false;

test('every recipient live: a rung each, the sender none, and no policy to read', () => {
  const members = [member(1), member(2), member(3)];
  const presence = new Map([
    [1, away],
    [2, live],
    [3, live],
  ]);
  const r = fanOutLadders(members, msg(), presence, () => true, never);
  assert.equal(r.ladders[0], undefined, 'the sender');
  assert.deepEqual(
    r.ladders.slice(1).map((l) => l?.rung),
    ['live', 'live'],
  );
  assert.equal(r.policyApplies, false);
});

test('one recipient offline with a number: an SMS rung, and policy is read', () => {
  const members = [member(1), member(2), member(3)];
  const presence = new Map([[2, live]]);
  const r = fanOutLadders(members, msg(), presence, () => true, never);
  assert.equal(r.ladders[2]?.rung, 'sms');
  assert.equal(r.policyApplies, true);
});

test('offline without an SMS route is the inbox, which policy may also change', () => {
  const r = fanOutLadders([member(1), member(2)], msg(), new Map(), () => false, never);
  assert.equal(r.ladders[1]?.rung, 'inbox');
  assert.equal(r.policyApplies, true);
});

test('a member the message is not for gets no rung and does not bring policy in', () => {
  const members = [member(1, { role: 'admin' }), member(2), member(3, { role: 'admin' })];
  const presence = new Map([[3, live]]);
  const r = fanOutLadders(members, msg({ audience: 'admins' }), presence, () => true, never);
  assert.equal(r.ladders[1], undefined, 'not an admin, offline: nothing to decide');
  assert.equal(r.ladders[2]?.rung, 'live');
  assert.equal(r.policyApplies, false);
});

test('a delivery awaiting its ack keeps the member live (no policy) though not connected now', () => {
  const r = fanOutLadders(
    [member(1), member(2)],
    msg(),
    new Map(),
    () => true,
    (u) => u === 2,
  );
  assert.equal(r.ladders[1]?.rung, 'live');
  assert.equal(r.policyApplies, false);
});
