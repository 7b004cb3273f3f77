// Per-member delivery state on PostgreSQL: cursors, fall-back routes, reminders, escalation, the trail.
// The rules are shared with the SQLite engine (../rules/delivery-rules.ts); this file keeps the SQL, and
// runs each method in one SERIALIZABLE transaction, so an ack and a route decision for the same member
// never interleave.

import { type TrailRow, toTrail } from '../rows.ts';
import { CANCEL_REASON } from '../rules/cancel-rules.ts';
import {
  afterWrite,
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
import { byDueThenKey, DEFAULT_LEASE, type Lease } from '../rules/lease-rules.ts';
import type { DeliveryStore, NewOutbound, TrailEntry } from '../store.ts';
import { ackFlush } from './pg-ack.ts';
import { changes, type Db, type Queryable, row, rows, tx } from './pg-db.ts';
import { insertOutbounds } from './pg-insert-outbound.ts';
import { leasedClaim } from './pg-leases.ts';
import { pgReminders } from './pg-reminders.ts';
import { addTrails } from './pg-trail.ts';

type Ids = { groupId: number; userId: number; fromSeq: number; toSeq: number };
type Cursors = CursorRow & { group_id: number; user_id: number; last_seq: number };

const CURSOR_COLUMNS = `m.group_id, m.user_id, m.state, m.acked_seq, m.fetched_seq, m.routed_seq, m.shown_seq,
  m.inbox_upto, m.reminder_due_at, m.escalate_at, g.last_seq`;

const SQL = {
  cursors: `SELECT ${CURSOR_COLUMNS} FROM memberships m JOIN groups g ON g.id = m.group_id
    WHERE m.group_id = $1 AND m.user_id = $2`,
  /** The rows of a whole batch of routes, locked (in key order) until the batch commits. */
  lockCursorsOf: `SELECT ${CURSOR_COLUMNS} FROM memberships m JOIN groups g ON g.id = m.group_id
    JOIN unnest($1::bigint[], $2::bigint[]) AS k(g, u) ON m.group_id = k.g AND m.user_id = k.u
    ORDER BY m.group_id, m.user_id FOR UPDATE OF m`,
  /** The rows of a whole batch of acks or fetches in one round trip. */
  cursorsOf: `SELECT ${CURSOR_COLUMNS} FROM memberships m JOIN groups g ON g.id = m.group_id
    JOIN unnest($1::bigint[], $2::bigint[]) AS k(g, u) ON m.group_id = k.g AND m.user_id = k.u`,
  writeCursors: `UPDATE memberships m SET acked_seq = t.acked, fetched_seq = t.fetched, routed_seq = t.routed,
      inbox_upto = t.inbox, reminder_due_at = t.due, escalate_at = t.esc, updated_at = t.at
    FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
      $8::bigint[], $9::bigint[]) AS t(g, u, acked, fetched, routed, inbox, due, esc, at)
    WHERE m.group_id = t.g AND m.user_id = t.u`,
  writeInbox: `UPDATE memberships SET inbox_upto = $1::bigint, reminder_due_at = $2::bigint
    WHERE group_id = $3 AND user_id = $4`,
  showUpTo:
    'UPDATE memberships SET shown_seq = GREATEST(shown_seq, $1::bigint) WHERE group_id = $2 AND user_id = $3',
  insertTrail: `INSERT INTO trail (group_id, user_id, seq_from, seq_to, rung, outcome, reason, at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  /** Per member, texts up to a seq, each with its reason; the count of texts cancelled. */
  cancelUpTo: `UPDATE outbound_sms o SET state = 'cancelled', error = t.why, updated_at = $1
    FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) AS t(g, u, seq, why)
    WHERE o.group_id = t.g AND o.user_id = t.u AND o.kind = 'group_message' AND o.seq <= t.seq AND o.state = 'queued'`,
  handedIn: `SELECT seq FROM outbound_sms WHERE group_id = $1 AND user_id = $2 AND kind = 'group_message'
    AND seq > $3 AND seq <= $4 AND state IN ('submitting', 'submitted', 'delivered', 'digested')`,
  cancelSeqs: `UPDATE outbound_sms SET state = 'cancelled', error = $1, updated_at = $2
    WHERE group_id = $3 AND user_id = $4 AND seq = ANY($5::bigint[]) AND kind = 'group_message' AND state = 'queued'
    RETURNING seq`,
  markRead:
    'UPDATE memberships SET read_seq = GREATEST(read_seq, $1::bigint) WHERE group_id = $2 AND user_id = $3',
  // Ordered as the SQLite engine orders it.
  unrouted: `SELECT m.group_id AS "groupId", m.user_id AS "userId", GREATEST(m.routed_seq, m.acked_seq) AS "fromSeq",
      g.last_seq AS "toSeq"
    FROM memberships m JOIN groups g ON g.id = m.group_id
    WHERE m.state = 'active' AND GREATEST(m.routed_seq, m.acked_seq) < g.last_seq
    ORDER BY m.user_id, m.group_id`,
  unroutedBefore: `SELECT m.group_id AS "groupId", m.user_id AS "userId", GREATEST(m.routed_seq, m.acked_seq) AS "fromSeq",
      g.last_seq AS "toSeq"
    FROM memberships m JOIN groups g ON g.id = m.group_id
    LEFT JOIN messages x ON x.group_id = m.group_id AND x.seq = GREATEST(m.routed_seq, m.acked_seq) + 1
    WHERE m.state = 'active' AND GREATEST(m.routed_seq, m.acked_seq) < g.last_seq
      AND (x.created_at IS NULL OR x.created_at < $1::bigint)
    ORDER BY x.created_at NULLS FIRST, m.group_id, m.user_id LIMIT $2`,
  claimEscalations: `WITH picked AS (
      SELECT group_id, user_id FROM memberships
      WHERE escalate_at IS NOT NULL AND escalate_at <= $1::bigint AND state = 'active'
        AND (lease_until IS NULL OR lease_until <= $1::bigint)
      ORDER BY escalate_at, group_id, user_id LIMIT $2
      FOR UPDATE SKIP LOCKED)
    UPDATE memberships m SET lease_holder = $3, lease_until = $4::bigint
    FROM picked p WHERE m.group_id = p.group_id AND m.user_id = p.user_id
    RETURNING m.group_id AS "groupId", m.user_id AS "userId", GREATEST(m.fetched_seq, m.acked_seq) AS "fromSeq",
      m.inbox_upto AS "toSeq", m.escalate_at AS due`,
  clearEscalation: `UPDATE memberships SET escalate_at = NULL, lease_holder = NULL, lease_until = NULL
    WHERE group_id = $1 AND user_id = $2`,
  trailFor: 'SELECT * FROM trail WHERE group_id = $1 AND seq_to >= $2 AND seq_from < $2 ORDER BY id',
  // An ack lost to a crash only means a redelivery, so ack batches do not wait for their own WAL flush:
  // for this transaction only (its first statement; the session stays on). SQLite uses synchronous=NORMAL.
  ackWithoutFlush: 'SET LOCAL synchronous_commit = off',
  insertTrails: `INSERT INTO trail (group_id, user_id, seq_from, seq_to, rung, outcome, reason, at)
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[])`,
} as const;

const addTrail = (c: Queryable, t: TrailEntry) =>
  c.query(SQL.insertTrail, [t.groupId, t.userId, t.seqFrom, t.seqTo, t.rung, t.outcome, t.reason, t.at]);

/** Seqs in (from, to] whose text to the member was already handed to the gateway. */
async function textedIn(
  c: Queryable,
  ids: { groupId: number; userId: number },
  r: { from: number; to: number },
) {
  if (r.to <= r.from) return [];
  return (await rows<{ seq: number }>(c, SQL.handedIn, [ids.groupId, ids.userId, r.from, r.to])).map(
    (x) => x.seq,
  );
}

/** Writes cursor rows of several members in one statement. */
async function writeCursors(c: Queryable, ws: { groupId: number; userId: number; w: CursorWrite }[]) {
  if (ws.length === 0) return;
  const col = <K extends keyof CursorWrite>(k: K) => ws.map((x) => x.w[k]);
  await c.query(SQL.writeCursors, [
    ws.map((x) => x.groupId),
    ws.map((x) => x.userId),
    col('acked_seq'),
    col('fetched_seq'),
    col('routed_seq'),
    col('inbox_upto'),
    col('reminder_due_at'),
    col('escalate_at'),
    col('updated_at'),
  ]);
}

const key = (groupId: number, userId: number) => `${groupId}:${userId}`;

export function pgDelivery(
  db: Db,
  reminderDelayMs: number,
  lease: Lease = DEFAULT_LEASE,
): Omit<DeliveryStore, 'inboxConfirmed' | 'takeBackTexts'> {
  const settle = (
    which: SettleCursor,
    items: { groupId: number; userId: number; seq: number }[],
    now: number,
    first?: string,
  ) =>
    tx(db, async (c) => {
      if (first) await c.query(first);
      // One read, one cursor write and one cancel per batch: the rules fold repeated members in order.
      const read = await rows<Cursors>(c, SQL.cursorsOf, [
        items.map((a) => a.groupId),
        items.map((a) => a.userId),
      ]);
      const current = new Map(read.map((m) => [key(m.group_id, m.user_id), m]));
      const writes = new Map<string, { groupId: number; userId: number; w: CursorWrite }>();
      const cancels: { groupId: number; userId: number; seq: number; why: string }[] = [];
      const trail: TrailEntry[] = [];
      for (const a of items) {
        const k = key(a.groupId, a.userId);
        const m = current.get(k);
        const texted =
          m && which === 'fetched_seq' ? await textedIn(c, a, settleRange(m, m.last_seq, which, a.seq)) : [];
        const plan = planSettle(m, m?.last_seq ?? 0, which, a.seq, now, a, texted);
        if (!m || !plan) continue;
        trail.push(...plan.trail);
        current.set(k, afterWrite(m, plan.cursor));
        writes.set(k, { groupId: a.groupId, userId: a.userId, w: plan.cursor });
        cancels.push({ groupId: a.groupId, userId: a.userId, seq: plan.cancelUpTo, why: plan.reason });
      }
      await writeCursors(c, [...writes.values()]);
      await addTrails(c, trail);
      if (cancels.length === 0) return 0;
      return changes(c, SQL.cancelUpTo, [
        now,
        cancels.map((x) => x.groupId),
        cancels.map((x) => x.userId),
        cancels.map((x) => x.seq),
        cancels.map((x) => x.why),
      ]);
    });

  return {
    async route(routes) {
      if (routes.length === 0) return [];
      // READ COMMITTED with the routed members' rows locked by the first read (in one order, so two nodes'
      // batches queue rather than deadlock; a deadlock is retried): until commit nothing else changes those
      // rows — an ack's compare-and-set waits and then sees the new row, the append skips a locked row —
      // and a plan depends only on them. A text already queued for the same member and message is skipped
      // by NOT EXISTS, and one inserted concurrently by the unique index (ON CONFLICT DO NOTHING).
      // One read, one cursor write, one trail insert and one text insert per batch, whatever its size.
      return tx(
        db,
        async (c) => {
          const held: typeof routes = [];
          const read = await rows<Cursors>(c, SQL.lockCursorsOf, [
            routes.map((r) => r.groupId),
            routes.map((r) => r.userId),
          ]);
          const current = new Map(read.map((m) => [key(m.group_id, m.user_id), m]));
          const writes = new Map<string, { groupId: number; userId: number; w: CursorWrite }>();
          const trail: TrailEntry[] = [];
          const texts: { o: NewOutbound; at: number }[] = [];
          for (const r of routes) {
            const k = key(r.groupId, r.userId);
            const m = current.get(k);
            const plan = planRoute(m, r, reminderDelayMs);
            if (plan === 'held') held.push(r);
            if (!m || !plan || plan === 'held') continue;
            current.set(k, afterWrite(m, plan.cursor));
            writes.set(k, { groupId: r.groupId, userId: r.userId, w: plan.cursor });
            if (plan.trail) trail.push(plan.trail);
            for (const o of plan.texts) texts.push({ o, at: r.at });
          }
          await writeCursors(c, [...writes.values()]);
          await addTrails(c, trail);
          await insertOutbounds(c, texts);
          return held;
        },
        { readCommitted: true },
      );
    },
    async ack(acks, now) {
      if (acks.length === 0) return 0;
      // Two statements, no transaction (pg-ack.ts says why that is enough); a member whose row keeps
      // changing under it is settled in the transaction below after a few rounds.
      return ackFlush(db, SQL.cursorsOf, acks, now, (rest) =>
        settle('acked_seq', rest, now, SQL.ackWithoutFlush),
      );
    },
    async fetched(userId, upTo, now) {
      if (upTo.length === 0) return 0;
      return settle(
        'fetched_seq',
        upTo.map((u) => ({ ...u, userId })),
        now,
      );
    },
    async markRead(userId, groupId, seq) {
      await db.query(SQL.markRead, [seq, groupId, userId]);
    },
    async showInInbox(userId, groupId, seqs, now, reminderDueAt) {
      if (seqs.length === 0) return [];
      return tx(db, async (c) => {
        const before = await row<Cursors>(c, SQL.cursors, [groupId, userId]);
        const texted = await textedIn(
          c,
          { groupId, userId },
          { from: Math.min(...seqs) - 1, to: Math.max(...seqs) },
        );
        await addTrails(c, planShown(before, { groupId, userId }, seqs, now, texted));
        await c.query(SQL.showUpTo, [shownUpTo(seqs), groupId, userId]);
        const cancelled = await rows<{ seq: number }>(c, SQL.cancelSeqs, [
          CANCEL_REASON.shown,
          now,
          groupId,
          userId,
          seqs,
        ]);
        const handed = handedOver(
          seqs,
          cancelled.map((x) => x.seq),
        );
        const plan = planShowInInbox(before, { groupId, userId }, handed, now, reminderDueAt);
        if (!plan) return handed;
        if (plan.inbox)
          await c.query(SQL.writeInbox, [plan.inbox.inbox_upto, plan.inbox.reminder_due_at, groupId, userId]);
        await addTrail(c, plan.trail);
        return handed;
      });
    },
    async unrouted(opts) {
      if (opts) return rows<Ids>(db, SQL.unroutedBefore, [opts.firstBefore, opts.limit]);
      return rows<Ids>(db, SQL.unrouted);
    },
    ...pgReminders(db, lease),
    async claimEscalations(now, limit) {
      const due = await leasedClaim<Ids & { due: number }>(db, SQL.claimEscalations, now, limit, lease);
      return byDueThenKey(due).map(({ due: _, ...ids }) => ids);
    },
    async clearEscalation(groupId, userId) {
      await db.query(SQL.clearEscalation, [groupId, userId]);
    },
    async trailFor(groupId, seq) {
      return (await rows<TrailRow>(db, SQL.trailFor, [groupId, seq])).map(toTrail);
    },
    async addTrail(entries) {
      if (entries.length === 0) return;
      await tx(db, async (c) => {
        for (const t of entries) await addTrail(c, t);
      });
    },
  };
}
