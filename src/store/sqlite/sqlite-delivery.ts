// Per-member delivery state on SQLite: cursors, fall-back routes, reminders, escalation, the trail.
// The rules are shared with the PostgreSQL engine (../rules/delivery-rules.ts); this file keeps the SQL.
import type { Database } from 'better-sqlite3';
import { type DueRow, type TrailRow, toDueReminder, toTrail } from '../rows.ts';
import { CANCEL_REASON } from '../rules/cancel-rules.ts';
import {
  type CursorRow,
  type CursorWrite,
  handedOver,
  planRoute,
  planSettle,
  planShowInInbox,
  planShown,
  type SettleCursor,
  settleRange,
  shownUpTo,
} from '../rules/delivery-rules.ts';
import { checkArguments, checkSettledFor } from '../rules/input-rules.ts';
import { DEFAULT_LEASE, type Lease } from '../rules/lease-rules.ts';
import type { DeliveryStore, DueReminder, FallbackRoute, ReminderDone, TrailEntry } from '../store.ts';
import { insertOutbound } from './sqlite-outbound.ts';
import { pendingReminderAt, REMINDER_SENT } from './sqlite-reminders-due.ts';

type Ids = { groupId: number; userId: number; fromSeq: number; toSeq: number };

// A claim picks the due rows whose lease is free or expired and leases them, in one transaction (one
// process holds the file, so that is all "skip locked" needs here). What a reminder needs comes with it
// (the member, the group's addresses, whether there are push subscriptions or quiet hours to look at), so
// a pass makes no query per member. The unread count is a subquery of the same statement: one snapshot,
// and exact (own and removed messages are not counted; seqs alone cannot tell either). Ties on the due
// time are broken by the primary key, as on PostgreSQL. The due rows are read from reminders_due, in its
// key's order (./sqlite-reminders-due.ts).
export const DUE_REMINDERS = `SELECT r.due_at, m.group_id, m.user_id, g.name, g.escalate_to_sms AS esc, g.app_number, g.group_number,
      max(m.fetched_seq, m.acked_seq) AS from_seq, m.inbox_upto,
      (SELECT count(*) FROM messages x WHERE x.group_id = m.group_id
         AND x.seq > max(m.fetched_seq, m.acked_seq) AND x.seq <= m.inbox_upto AND x.sender_id <> m.user_id) AS unread,
      u.id, u.phone, u.display_name, u.sms_opted_out, u.last_group_id, u.created_at,
      (SELECT count(*) FROM push_subscriptions p WHERE p.user_id = m.user_id) AS subs,
      EXISTS (SELECT 1 FROM member_prefs q WHERE q.group_id = m.group_id AND q.user_id = m.user_id
         AND q.quiet_start IS NOT NULL AND q.quiet_end IS NOT NULL) AS quiet
    FROM reminders_due r
      JOIN memberships m ON m.group_id = r.group_id AND m.user_id = r.user_id AND m.reminder_due_at = r.due_at
      JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id
    WHERE r.due_at <= @now AND (r.lease_until IS NULL OR r.lease_until <= @now)
      AND (m.lease_until IS NULL OR m.lease_until <= @now)
    ORDER BY r.due_at, r.group_id, r.user_id LIMIT @limit`;

/**
 * Every member range accepted but not yet decided, read once at start-up (recover()). It reads every
 * membership, so it walks them group by group, in the primary key's order: left to itself SQLite walked
 * memberships_user for the ORDER BY and fetched each row from there, 950–1,040 ms for 1,000,000 memberships
 * against 106–113 ms this way (bench/diag/unrouted-scan.ts; the result is sorted after, and is small). `max(a, b) < x` is written as two
 * comparisons, which SQLite evaluates for less.
 */
export const UNROUTED = `SELECT m.group_id AS groupId, m.user_id AS userId, max(m.routed_seq, m.acked_seq) AS fromSeq,
      g.last_seq AS toSeq
    FROM groups g CROSS JOIN memberships m ON m.group_id = g.id
    WHERE m.routed_seq < g.last_seq AND m.acked_seq < g.last_seq AND m.state = 'active'
    ORDER BY m.user_id, m.group_id`;

const SQL = {
  // A subquery rather than a join: SQLite runs this one about five times faster (it is read once per ack).
  cursors: `SELECT state, acked_seq, fetched_seq, routed_seq, shown_seq, inbox_upto,
      ${pendingReminderAt('memberships')} AS reminder_due_at, escalate_at,
      (SELECT last_seq FROM groups WHERE id = group_id) AS last_seq
    FROM memberships WHERE group_id = ? AND user_id = ?`,
  writeCursors: `UPDATE memberships SET acked_seq = ?, fetched_seq = ?, routed_seq = ?, inbox_upto = ?, reminder_due_at = ?,
      escalate_at = ?, updated_at = ?
    WHERE group_id = ? AND user_id = ?`,
  // The same write when the reminder stays as it was (most acks): a statement that does not set
  // reminder_due_at runs no reminders_due trigger, which costs a sub-program per row even when its WHEN
  // is false (fan-out at N=1,000: 0.92 against 1.34–1.42 µs of server CPU per delivery).
  writeCursorsKeepReminder: `UPDATE memberships SET acked_seq = ?, fetched_seq = ?, routed_seq = ?, inbox_upto = ?,
      escalate_at = ?, updated_at = ?
    WHERE group_id = ? AND user_id = ?`,
  writeInbox: `UPDATE memberships SET inbox_upto = @inbox_upto, reminder_due_at = @reminder_due_at
    WHERE group_id = @group AND user_id = @user`,
  showUpTo: 'UPDATE memberships SET shown_seq = max(shown_seq, ?) WHERE group_id = ? AND user_id = ?',
  insertTrail: `INSERT INTO trail (group_id, user_id, seq_from, seq_to, rung, outcome, reason, at)
    VALUES (@groupId, @userId, @seqFrom, @seqTo, @rung, @outcome, @reason, @at)`,
  cancelUpTo: `UPDATE outbound_sms SET state = 'cancelled', error = ?, updated_at = ?
    WHERE group_id = ? AND user_id = ? AND kind = 'group_message' AND seq <= ? AND state = 'queued'`,
  handedIn: `SELECT seq FROM outbound_sms WHERE group_id = ? AND user_id = ? AND kind = 'group_message'
    AND seq > ? AND seq <= ? AND state IN ('submitting', 'submitted', 'delivered', 'digested')`,
  cancelOne: `UPDATE outbound_sms SET state = 'cancelled', error = @why, updated_at = @now
    WHERE group_id = @group AND user_id = @user AND seq = @seq AND kind = 'group_message' AND state = 'queued'`,
  markRead: 'UPDATE memberships SET read_seq = max(read_seq, ?) WHERE group_id = ? AND user_id = ?',
  unrouted: UNROUTED,
  unroutedBefore: `SELECT m.group_id AS groupId, m.user_id AS userId, max(m.routed_seq, m.acked_seq) AS fromSeq, g.last_seq AS toSeq
    FROM memberships m JOIN groups g ON g.id = m.group_id
    LEFT JOIN messages x ON x.group_id = m.group_id AND x.seq = max(m.routed_seq, m.acked_seq) + 1
    WHERE m.state = 'active' AND max(m.routed_seq, m.acked_seq) < g.last_seq
      AND (x.created_at IS NULL OR x.created_at < ?)
    ORDER BY x.created_at NULLS FIRST, m.group_id, m.user_id LIMIT ?`,
  dueReminders: DUE_REMINDERS,
  lease: 'UPDATE memberships SET lease_holder = ?, lease_until = ? WHERE group_id = ? AND user_id = ?',
  // A reminder's lease is on its due row (a neighbour of the others a claim takes), not the membership.
  leaseDue:
    'UPDATE reminders_due SET lease_holder = ?, lease_until = ? WHERE due_at = ? AND group_id = ? AND user_id = ?',
  reminded: `UPDATE memberships SET reminder_due_at = NULL, escalate_at = coalesce(escalate_at, ?),
      lease_holder = NULL, lease_until = NULL
    WHERE group_id = ? AND user_id = ?`,
  sent: REMINDER_SENT,
  escalateLater:
    'UPDATE memberships SET escalate_at = coalesce(escalate_at, ?) WHERE group_id = ? AND user_id = ?',
  dueEscalations: `SELECT group_id AS groupId, user_id AS userId, max(fetched_seq, acked_seq) AS fromSeq, inbox_upto AS toSeq
    FROM memberships m WHERE escalate_at IS NOT NULL AND escalate_at <= @now AND state = 'active'
      AND (lease_until IS NULL OR lease_until <= @now)
      AND NOT EXISTS (SELECT 1 FROM reminders_due r WHERE r.due_at = m.reminder_due_at
        AND r.group_id = m.group_id AND r.user_id = m.user_id AND r.lease_until > @now)
    ORDER BY escalate_at, group_id, user_id LIMIT @limit`,
  clearEscalation: `UPDATE memberships SET escalate_at = NULL, lease_holder = NULL, lease_until = NULL
    WHERE group_id = ? AND user_id = ?`,
  trailFor: 'SELECT * FROM trail WHERE group_id = ? AND seq_to >= ? AND seq_from < ? ORDER BY id',
} as const;

export function sqliteDelivery(
  db: Database,
  reminderDelayMs: number,
  lease: Lease = DEFAULT_LEASE,
): Omit<DeliveryStore, 'inboxConfirmed' | 'takeBackTexts'> {
  const s = {
    cursors: db.prepare<[number, number], CursorRow & { last_seq: number }>(SQL.cursors),
    writeCursors: db.prepare(SQL.writeCursors),
    writeCursorsKeepReminder: db.prepare(SQL.writeCursorsKeepReminder),
    writeInbox: db.prepare(SQL.writeInbox),
    showUpTo: db.prepare(SQL.showUpTo),
    insertTrail: db.prepare(SQL.insertTrail),
    cancelUpTo: db.prepare(SQL.cancelUpTo),
    cancelOne: db.prepare(SQL.cancelOne),
    handedIn: db.prepare<[number, number, number, number], { seq: number }>(SQL.handedIn),
    markRead: db.prepare(SQL.markRead),
    unrouted: db.prepare<[], Ids>(SQL.unrouted),
    unroutedBefore: db.prepare<[number, number], Ids>(SQL.unroutedBefore),
    dueReminders: db.prepare<[{ now: number; limit: number }], DueRow & { due_at: number }>(SQL.dueReminders),
    lease: db.prepare(SQL.lease),
    leaseDue: db.prepare(SQL.leaseDue),
    reminded: db.prepare(SQL.reminded),
    sent: db.prepare(SQL.sent),
    escalateLater: db.prepare(SQL.escalateLater),
    dueEscalations: db.prepare<[{ now: number; limit: number }], Ids>(SQL.dueEscalations),
    clearEscalation: db.prepare(SQL.clearEscalation),
    trailFor: db.prepare<[number, number, number], TrailRow>(SQL.trailFor),
  };
  const addTrail = (t: TrailEntry) => s.insertTrail.run(t);
  // Positional parameters: binding by name costs more than the statement on the ack path. `before` is the
  // row the write was planned from (its reminder as pending or not, ./sqlite-reminders-due.ts).
  const write = (groupId: number, userId: number, w: CursorWrite, before: CursorRow) =>
    w.reminder_due_at === before.reminder_due_at
      ? s.writeCursorsKeepReminder.run(
          w.acked_seq,
          w.fetched_seq,
          w.routed_seq,
          w.inbox_upto,
          w.escalate_at,
          w.updated_at,
          groupId,
          userId,
        )
      : s.writeCursors.run(
          w.acked_seq,
          w.fetched_seq,
          w.routed_seq,
          w.inbox_upto,
          w.reminder_due_at,
          w.escalate_at,
          w.updated_at,
          groupId,
          userId,
        );
  const enqueue = insertOutbound(db);
  /** Seqs in (from, to] whose text to the member was already handed to the gateway. */
  const textedIn = (ids: { groupId: number; userId: number }, r: { from: number; to: number }) =>
    r.to > r.from ? s.handedIn.all(ids.groupId, ids.userId, r.from, r.to).map((x) => x.seq) : [];

  const route = db.transaction((routes: FallbackRoute[]) => {
    const held: FallbackRoute[] = [];
    for (const r of routes) {
      const m = s.cursors.get(r.groupId, r.userId);
      const plan = planRoute(m, r, reminderDelayMs);
      if (plan === 'held') held.push(r);
      if (!m || !plan || plan === 'held') continue;
      write(r.groupId, r.userId, plan.cursor, m);
      if (plan.trail) addTrail(plan.trail);
      for (const o of plan.texts) enqueue(o, r.at);
    }
    return held;
  });

  const settle = (which: SettleCursor) =>
    db.transaction((items: { groupId: number; userId: number; seq: number }[], now: number) => {
      let cancelled = 0;
      for (const a of items) {
        const m = s.cursors.get(a.groupId, a.userId);
        const texted =
          m && which === 'fetched_seq' ? textedIn(a, settleRange(m, m.last_seq, which, a.seq)) : [];
        const plan = planSettle(m, m?.last_seq ?? 0, which, a.seq, now, a, texted);
        if (!m || !plan) continue;
        write(a.groupId, a.userId, plan.cursor, m);
        for (const t of plan.trail) addTrail(t);
        cancelled += s.cancelUpTo.run(plan.reason, now, a.groupId, a.userId, plan.cancelUpTo).changes;
      }
      return cancelled;
    });
  const ack = settle('acked_seq');
  const fetched = settle('fetched_seq');

  const showInInbox = db.transaction(
    (userId: number, groupId: number, seqs: number[], now: number, reminderDueAt: number) => {
      const before = s.cursors.get(groupId, userId);
      const texted = textedIn({ groupId, userId }, { from: Math.min(...seqs) - 1, to: Math.max(...seqs) });
      for (const t of planShown(before, { groupId, userId }, seqs, now, texted)) addTrail(t);
      s.showUpTo.run(shownUpTo(seqs), groupId, userId);
      const cancelled = seqs.filter(
        (seq) =>
          s.cancelOne.run({ why: CANCEL_REASON.shown, now, group: groupId, user: userId, seq }).changes > 0,
      );
      const handed = handedOver(seqs, cancelled);
      const plan = planShowInInbox(before, { groupId, userId }, handed, now, reminderDueAt);
      if (!plan) return handed;
      if (plan.inbox) s.writeInbox.run({ ...plan.inbox, group: groupId, user: userId });
      addTrail(plan.trail);
      return handed;
    },
  );
  const bookkeep = (r: ReminderDone) => {
    addTrail(r.trail);
    if (r.text) enqueue(r.text, r.trail.at);
  };
  const reminded = db.transaction((items: ReminderDone[]) =>
    items.forEach((r) => {
      s.reminded.run(r.escalateAt, r.groupId, r.userId);
      bookkeep(r);
    }),
  );
  // Each due row is written once: recorded when settled at once, else leased. A reminder settled here was
  // never leased, so its membership is written only for an escalation (./sqlite-reminders-due.ts).
  const remindDue = db.transaction(
    (now: number, limit: number, settle: (r: DueReminder) => ReminderDone | undefined) => {
      const settled: ReminderDone[] = [];
      const leased: DueReminder[] = [];
      for (const row of s.dueReminders.all({ now, limit })) {
        const r = toDueReminder(row);
        const done = settle(r);
        if (done) {
          // The store's own input rules hold for what the callback made too.
          checkArguments('delivery.reminded', [done]);
          checkSettledFor(r, done);
          s.sent.run(row.due_at, r.groupId, r.userId);
          if (done.escalateAt !== null) s.escalateLater.run(done.escalateAt, r.groupId, r.userId);
          bookkeep(done);
          settled.push(done);
        } else {
          s.leaseDue.run(lease.holder, now + lease.ms, row.due_at, r.groupId, r.userId);
          leased.push(r);
        }
      }
      return { settled, leased };
    },
  );
  /**
   * Due rows of a scan, leased to this node in the same transaction. The claim skips its own fsync
   * (synchronous=NORMAL in WAL, as acks do): it is durable against a crash of the process at once, and a
   * lease lost to a power cut only lets the row be claimed again sooner — a member pushed twice at worst,
   * never texted twice, as a reminder's text commits (FULL) with its trail row. The next FULL commit makes
   * the claim durable with it.
   */
  const claim = <R>(pick: () => R[], leaseOne: (r: R, until: number) => void, now: number) => {
    db.pragma('synchronous = NORMAL');
    try {
      return db.transaction(() => {
        const picked = pick();
        for (const r of picked) leaseOne(r, now + lease.ms);
        return picked;
      })();
    } finally {
      db.pragma('synchronous = FULL');
    }
  };
  const addTrails = db.transaction((entries: TrailEntry[]) => entries.forEach(addTrail));

  return {
    async route(routes) {
      return route(routes);
    },
    async ack(acks, now) {
      // An ack lost to a power cut only means a redelivery, so ack batches skip their own fsync
      // (synchronous=NORMAL in WAL); the next FULL commit makes them durable with it.
      db.pragma('synchronous = NORMAL');
      try {
        return ack(acks, now);
      } finally {
        db.pragma('synchronous = FULL');
      }
    },
    async fetched(userId, upTo, now) {
      return fetched(
        upTo.map((u) => ({ ...u, userId })),
        now,
      );
    },
    async markRead(userId, groupId, seq) {
      s.markRead.run(seq, groupId, userId);
    },
    async showInInbox(userId, groupId, seqs, now, reminderDueAt) {
      if (seqs.length === 0) return [];
      return showInInbox(userId, groupId, seqs, now, reminderDueAt);
    },
    async unrouted(opts) {
      if (opts) return s.unroutedBefore.all(opts.firstBefore, opts.limit);
      return s.unrouted.all();
    },
    async claimReminders(now, limit) {
      const rows = claim(
        () => s.dueReminders.all({ now, limit }),
        (r, until) => s.leaseDue.run(lease.holder, until, r.due_at, r.group_id, r.user_id),
        now,
      );
      return rows.map(toDueReminder);
    },
    async remindDue(now, limit, settle) {
      return remindDue(now, limit, settle);
    },
    async reminded(items) {
      // One transaction for a whole scan's worth of reminders: one fsync, not one per member.
      reminded(items);
    },
    async claimEscalations(now, limit) {
      return claim(
        () => s.dueEscalations.all({ now, limit }),
        (r, until) => s.lease.run(lease.holder, until, r.groupId, r.userId),
        now,
      );
    },
    async clearEscalation(groupId, userId) {
      s.clearEscalation.run(groupId, userId);
    },
    async trailFor(groupId, seq) {
      return s.trailFor.all(groupId, seq, seq).map(toTrail);
    },
    async addTrail(entries) {
      addTrails(entries);
    },
  };
}
