// The store rules both engines apply (src/store/rules/): each decision checked on the rows it is given,
// so that a change to a rule fails here before either engine's contract run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CANCEL_REASON, recheckVerdict } from '../../../src/store/rules/cancel-rules.ts';
import {
  type CursorRow,
  handedOver,
  planRoute,
  planSettle,
  planShowInInbox,
  type RoutePlan,
} from '../../../src/store/rules/delivery-rules.ts';
import { leaseWantsExtending } from '../../../src/store/rules/lease-rules.ts';
import { type MemberRow, planMembership, policyColumns } from '../../../src/store/rules/membership-rules.ts';
import type { FallbackRoute, NewOutbound } from '../../../src/store/store.ts';

const row = (over: Partial<CursorRow> = {}): CursorRow => ({
  state: 'active',
  acked_seq: 0,
  fetched_seq: 0,
  routed_seq: 0,
  shown_seq: 0,
  inbox_upto: 0,
  reminder_due_at: null,
  escalate_at: null,
  ...over,
});
const text = (seq: number): NewOutbound => ({
  kind: 'group_message',
  toPhone: '+8613800000001',
  fromAddr: '1065',
  text: `t${seq}`,
  groupId: 1,
  seq,
  userId: 2,
});
const route = (over: Partial<FallbackRoute> = {}): FallbackRoute => ({
  groupId: 1,
  userId: 2,
  seqFrom: 0,
  seqTo: 3,
  rung: 'sms',
  reason: 'r',
  at: 100,
  reminderDueAt: null,
  sms: [1, 2, 3].map(text),
  ...over,
});

/** A plan, not held back (routes without `afterEarlier` never are). */
function planned(...a: Parameters<typeof planRoute>): RoutePlan | null {
  const p = planRoute(...a);
  assert.notEqual(p, 'held');
  return p as RoutePlan | null;
}

test('a route skips a member who is gone, and never texts what was seen or shown', () => {
  assert.equal(planned(undefined, route(), 10), null);
  assert.equal(planned(row({ state: 'left' }), route(), 10), null);
  const all = planned(row(), route(), 10)!;
  assert.deepEqual(
    all.texts.map((t) => t.seq),
    [1, 2, 3],
  );
  assert.equal(all.cursor.routed_seq, 3);
  assert.deepEqual([all.trail?.rung, all.trail?.outcome], ['sms', 'sms_queued']);
  // Acked 1, shown 2: only 3 is texted, and 2 stays with the inbox and its reminder.
  const p = planned(row({ acked_seq: 1, shown_seq: 2 }), route(), 10)!;
  assert.deepEqual(
    p.texts.map((t) => t.seq),
    [3],
  );
  assert.deepEqual([p.cursor.inbox_upto, p.cursor.reminder_due_at], [2, 110]);
  // An escalation texts what was shown but not confirmed.
  const esc = planned(row({ acked_seq: 1, shown_seq: 2 }), route({ escalation: true }), 10)!;
  assert.deepEqual(
    esc.texts.map((t) => t.seq),
    [2, 3],
  );
});

test('routed_seq moves only over a contiguous range; inbox routes arm one reminder', () => {
  const hole = planned(row({ routed_seq: 1 }), route({ seqFrom: 2, seqTo: 4 }), 10)!;
  assert.equal(hole.cursor.routed_seq, 1, 'seq 2 still awaits its ack');
  const inbox = planned(
    row({ reminder_due_at: 50 }),
    route({ rung: 'inbox', sms: [], reminderDueAt: 500 }),
    10,
  )!;
  assert.deepEqual([inbox.cursor.inbox_upto, inbox.cursor.reminder_due_at], [3, 50]);
  assert.equal(planned(row(), route({ rung: 'none', sms: [] }), 10)!.trail, null);
});

test('an inbox route for a range the member already fetched or acked arms no reminder', () => {
  const late = route({ rung: 'inbox', sms: [], seqFrom: 1, seqTo: 3, reminderDueAt: 500 });
  assert.equal(planned(row({ fetched_seq: 3 }), late, 10)!.cursor.reminder_due_at, null);
  assert.equal(planned(row({ acked_seq: 4 }), late, 10)!.cursor.reminder_due_at, null);
  assert.equal(planned(row({ fetched_seq: 2 }), late, 10)!.cursor.reminder_due_at, 500, 'seq 3 unseen');
  assert.equal(
    planned(row({ inbox_upto: 3 }), late, 10)!.cursor.reminder_due_at,
    null,
    'already in the inbox (its reminder went): not again',
  );
});

test('a route after an undecided range waits when asked to (several nodes); a contiguous one does not', () => {
  const behind = route({ seqFrom: 2, seqTo: 3, afterEarlier: true });
  assert.equal(planRoute(row({ routed_seq: 1 }), behind, 10), 'held', 'seq 2 is undecided: wait for it');
  assert.equal(planRoute(row({ routed_seq: 1, acked_seq: 2 }), behind, 10) === 'held', false, 'acked: go');
  assert.equal(planned(row({ routed_seq: 2 }), behind, 10)!.cursor.routed_seq, 3);
  assert.equal(planRoute(row({ state: 'left' }), behind, 10), null, 'a member who left: nothing, not held');
});

test('a route over seqs already decided writes only the undecided part; an escalation re-decides', () => {
  // Another node, the sweep or recovery routed up to 2 first: a second trail row for 1–2 would say the
  // member's rung was decided twice.
  assert.equal(planned(row({ routed_seq: 3 }), route(), 10), null, 'all decided: nothing to write');
  const part = planned(row({ routed_seq: 2 }), route(), 10)!;
  assert.deepEqual([part.trail?.seqFrom, part.trail?.seqTo], [2, 3]);
  assert.deepEqual(
    part.texts.map((t) => t.seq),
    [3],
  );
  assert.equal(part.cursor.routed_seq, 3);
  const esc = planned(row({ routed_seq: 3 }), route({ escalation: true }), 10)!;
  assert.deepEqual([esc.trail?.seqFrom, esc.texts.length], [0, 3]);
});

test('an ack or fetch stops at the end of the log and settles the inbox it covers', () => {
  assert.equal(planSettle(row({ state: 'removed' }), 5, 'acked_seq', 3, 1), null);
  const m = row({ inbox_upto: 4, reminder_due_at: 9, escalate_at: 19, fetched_seq: 1 });
  const part = planSettle(m, 5, 'acked_seq', 3, 1)!;
  assert.deepEqual([part.cursor.acked_seq, part.cursor.routed_seq, part.cursor.reminder_due_at], [3, 3, 9]);
  assert.equal(part.reason, CANCEL_REASON.acked);
  const beyond = planSettle(m, 5, 'fetched_seq', 99, 1)!;
  assert.deepEqual(
    [
      beyond.cursor.fetched_seq,
      beyond.cursor.acked_seq,
      beyond.cursor.reminder_due_at,
      beyond.cursor.escalate_at,
    ],
    [5, 0, null, null],
  );
  assert.equal(beyond.reason, CANCEL_REASON.fetched);
  assert.equal(
    planSettle(row({ acked_seq: 4 }), 5, 'acked_seq', 2, 1)!.cursor.acked_seq,
    4,
    'never backwards',
  );
});

test('an inbox pull that took over texts extends the inbox and says so in the trail', () => {
  assert.deepEqual(handedOver([3, 2, 3, 5], [5, 3]), [3, 5]);
  assert.equal(planShowInInbox(row(), { groupId: 1, userId: 2 }, [], 1, 2), null);
  const p = planShowInInbox(row({ inbox_upto: 1 }), { groupId: 1, userId: 2 }, [2, 4], 7, 70)!;
  assert.deepEqual(p.inbox, { inbox_upto: 4, reminder_due_at: 70 });
  assert.deepEqual([p.trail.seqFrom, p.trail.seqTo, p.trail.rung, p.trail.at], [1, 4, 'inbox', 7]);
  assert.equal(planShowInInbox(row({ state: 'left' }), { groupId: 1, userId: 2 }, [2], 7, 70)!.inbox, null);
});

test('a claimed text is stopped by leaving the group or STOP, unless it is the STOP confirmation', () => {
  const facts = {
    kind: 'group_message',
    optedOut: 0,
    ignoreOptOut: 0,
    memberState: 'active',
    leaseUntil: 10,
  };
  assert.equal(recheckVerdict(facts), undefined);
  assert.equal(recheckVerdict(undefined), CANCEL_REASON.gone);
  assert.equal(recheckVerdict({ ...facts, memberState: 'removed' }), CANCEL_REASON.removed);
  assert.equal(recheckVerdict({ ...facts, memberState: null }), CANCEL_REASON.removed);
  assert.equal(recheckVerdict({ ...facts, optedOut: 1 }), CANCEL_REASON.optedOut);
  assert.equal(
    recheckVerdict({ ...facts, kind: 'reply', memberState: null, optedOut: 1, ignoreOptOut: 1 }),
    undefined,
  );
});

test('a text about to go has its lease extended only when less than two thirds of it is left', () => {
  const lease = { holder: 'qun', ms: 120_000 };
  assert.equal(leaseWantsExtending(1_000 + 120_000, 1_000, lease), false, 'just claimed');
  assert.equal(leaseWantsExtending(1_000 + 120_000, 1_000 + 40_000, lease), false, 'exactly two thirds left');
  assert.equal(leaseWantsExtending(1_000 + 120_000, 1_000 + 40_001, lease), true);
  assert.equal(leaseWantsExtending(1_000, 5_000, lease), true, 'expired');
  assert.equal(leaseWantsExtending(null, 5_000, lease), true, 'never leased');
});

test('membership: joining starts the cursors at the end of the log, leaving drops reminders and texts', () => {
  const now = 1000;
  const fresh = planMembership(
    undefined,
    { userId: 2, state: 'active', role: 'member', invitedBy: 1 },
    7,
    now,
  );
  assert.equal(fresh.op, 'insert');
  assert.deepEqual(
    [
      fresh.row.joined_seq,
      fresh.row.acked_seq,
      fresh.row.joined_at,
      fresh.row.invited_at,
      fresh.cancelQueued,
    ],
    [7, 7, now, now, false],
  );
  const old: MemberRow = { ...fresh.row, acked_seq: 9, reminder_due_at: 5, escalate_at: 6 };
  const stay = planMembership(old, { userId: 2, state: 'active', role: 'admin' }, 12, now + 1);
  assert.deepEqual(
    [stay.row.role, stay.row.acked_seq, stay.row.joined_at, stay.row.invited_by],
    ['admin', 9, now, 1],
  );
  const leave = planMembership(old, { userId: 2, state: 'left', role: 'member' }, 12, now + 2);
  assert.deepEqual(
    [leave.row.reminder_due_at, leave.row.escalate_at, leave.cancelQueued],
    [null, null, true],
  );
  const back = planMembership(leave.row, { userId: 2, state: 'active', role: 'member' }, 15, now + 3);
  assert.deepEqual(
    [back.row.joined_seq, back.row.acked_seq, back.row.routed_seq, back.row.fetched_seq, back.row.read_seq],
    [15, 15, 15, 15, 15],
  );
  assert.equal(back.row.joined_at, now + 3);
});

test('a policy change sets only the fields given', () => {
  assert.equal(policyColumns({}), undefined);
  assert.deepEqual(policyColumns({ escalateToSms: false, memberCap: 9 }), {
    invite_policy: null,
    escalate_to_sms: 0,
    confirm_admin_sms: null,
    member_cap: 9,
  });
  assert.deepEqual(policyColumns({ invitePolicy: 'confirm', confirmAdminSms: true }), {
    invite_policy: 'confirm',
    escalate_to_sms: null,
    confirm_admin_sms: 1,
    member_cap: null,
  });
});
