// Due reminders on PostgreSQL: claims leased to this node (FOR UPDATE SKIP LOCKED, so nodes claiming at
// once share the due members and never wait for each other), their bookkeeping in set-based statements,
// and remindDue, which records the reminders needing no round trip in the claim's own transaction. Its own
// file: the rest of the delivery store is large (pg-delivery.ts).
import { type DueRow, toDueReminder } from '../rows.ts';
import { checkArguments, checkSettledFor } from '../rules/input-rules.ts';
import { byDueThenKey, type Lease } from '../rules/lease-rules.ts';
import type { DeliveryStore, DueReminder, ReminderDone } from '../store.ts';
import { type Db, type Queryable, rows, tx } from './pg-db.ts';
import { insertOutbounds } from './pg-insert-outbound.ts';
import { leasedClaim } from './pg-leases.ts';
import { addTrails } from './pg-trail.ts';

/**
 * What a reminder needs, beside its range (the member, the group's addresses, push subscriptions and quiet
 * hours to look at). The unread count is exact (own and removed messages are not counted: seqs alone cannot
 * tell either), a subquery of the same statement: one snapshot, as on SQLite.
 */
const DUE_COLUMNS = `m.group_id, m.user_id, g.name, g.escalate_to_sms AS esc, g.app_number, g.group_number,
  m.reminder_due_at AS due, GREATEST(m.fetched_seq, m.acked_seq) AS from_seq, m.inbox_upto,
  (SELECT count(*) FROM messages x WHERE x.group_id = m.group_id
     AND x.seq > GREATEST(m.fetched_seq, m.acked_seq) AND x.seq <= m.inbox_upto
     AND x.sender_id <> m.user_id) AS unread,
  u.id, u.phone, u.display_name, u.sms_opted_out, u.last_group_id, u.created_at,
  (SELECT count(*) FROM push_subscriptions s WHERE s.user_id = m.user_id) AS subs,
  EXISTS (SELECT 1 FROM member_prefs q WHERE q.group_id = m.group_id AND q.user_id = m.user_id
     AND q.quiet_start IS NOT NULL AND q.quiet_end IS NOT NULL) AS quiet`;

const DUE = `m.reminder_due_at IS NOT NULL AND m.reminder_due_at <= $1::bigint
  AND (m.lease_until IS NULL OR m.lease_until <= $1::bigint)`;

const SQL = {
  // A claim is one statement: the due rows whose lease is free or expired are locked (skipping rows another
  // claimer holds: it never waits for them) and leased to this node. READ COMMITTED re-checks a row that
  // another claimer leased and committed after this statement's snapshot against the WHERE once it gets the
  // lock, so it is skipped then, not taken twice.
  claim: `WITH picked AS (
      SELECT group_id, user_id FROM memberships m WHERE ${DUE}
      ORDER BY reminder_due_at, group_id, user_id LIMIT $2
      FOR UPDATE SKIP LOCKED)
    UPDATE memberships m SET lease_holder = $3, lease_until = $4::bigint
    FROM picked p, groups g, users u
    WHERE m.group_id = p.group_id AND m.user_id = p.user_id AND g.id = m.group_id AND u.id = m.user_id
    RETURNING ${DUE_COLUMNS}`,
  /** The due rows of a remindDue step, locked for its transaction, skipping rows another claimer holds. */
  lockDue: `SELECT ${DUE_COLUMNS}
    FROM memberships m JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id
    WHERE ${DUE} ORDER BY m.reminder_due_at, m.group_id, m.user_id LIMIT $2
    FOR UPDATE OF m SKIP LOCKED`,
  lease: `UPDATE memberships m SET lease_holder = $3, lease_until = $4::bigint
    FROM unnest($1::bigint[], $2::bigint[]) AS t(g, u) WHERE m.group_id = t.g AND m.user_id = t.u`,
  /** A pass's reminders in one statement (a member twice in a batch: its first escalation time holds). */
  reminded: `UPDATE memberships m SET reminder_due_at = NULL, escalate_at = coalesce(m.escalate_at, t.esc),
      lease_holder = NULL, lease_until = NULL
    FROM (SELECT DISTINCT ON (g, u) g, u, esc FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
          WITH ORDINALITY AS t(g, u, esc, ord) ORDER BY g, u, ord) t
    WHERE m.group_id = t.g AND m.user_id = t.u`,
} as const;

/** Reminders' bookkeeping in the caller's transaction: three statements, whatever the count. */
async function record(c: Queryable, items: ReminderDone[]) {
  await c.query(SQL.reminded, [
    items.map((r) => r.groupId),
    items.map((r) => r.userId),
    items.map((r) => r.escalateAt),
  ]);
  await addTrails(
    c,
    items.map((r) => r.trail),
  );
  await insertOutbounds(
    c,
    items.flatMap((r) => (r.text ? [{ o: r.text, at: r.trail.at }] : [])),
  );
}

export function pgReminders(
  db: Db,
  lease: Lease,
): Pick<DeliveryStore, 'claimReminders' | 'reminded' | 'remindDue'> {
  return {
    async claimReminders(now, limit) {
      const due = await leasedClaim<DueRow & { due: number }>(db, SQL.claim, now, limit, lease);
      return byDueThenKey(due.map((r) => ({ due: r.due, groupId: r.group_id, userId: r.user_id, r }))).map(
        ({ r }) => toDueReminder(r),
      );
    },
    async reminded(items) {
      // A whole pass in one transaction of three statements: one WAL flush, whatever the count; each
      // reminder's text commits with its trail row (a crash leaves both or neither).
      if (items.length === 0) return;
      await tx(db, (c) => record(c, items));
    },
    async remindDue(now, limit, settle) {
      // READ COMMITTED, as the one-statement claim: a row another claimer leased and committed meanwhile is
      // re-checked against the WHERE when locked, and skipped. Each due row is written once.
      return tx(
        db,
        async (c) => {
          const due = await rows<DueRow>(c, SQL.lockDue, [now, limit]);
          const settled: ReminderDone[] = [];
          const leased: DueReminder[] = [];
          for (const r of due.map(toDueReminder)) {
            const done = settle(r);
            if (!done) leased.push(r);
            else {
              checkSettledFor(r, done);
              settled.push(done);
            }
          }
          // The store's own input rules hold for what the callback made too.
          checkArguments('delivery.reminded', [settled]);
          if (leased.length > 0)
            await c.query(SQL.lease, [
              leased.map((r) => r.groupId),
              leased.map((r) => r.userId),
              lease.holder,
              now + lease.ms,
            ]);
          if (settled.length > 0) await record(c, settled);
          return { settled, leased };
        },
        { readCommitted: true },
      );
    },
  };
}
