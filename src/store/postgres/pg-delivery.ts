// Per-member delivery state on PostgreSQL: cursors, fall-back routes, reminders, escalation, the trail.
// The same statements as the SQLite engine (sqlite/sqlite-delivery.ts), in one SERIALIZABLE transaction
// wherever SQLite runs one, so an ack and a route decision for the same member never interleave.
import { type TrailRow, toTrail } from '../rows.ts';
import type { DeliveryStore, FallbackRoute, TrailEntry } from '../store.ts';
import { changes, type Db, type Queryable, row, rows, tx } from './pg-db.ts';
import { insertOutbound } from './pg-insert-outbound.ts';

const OUTCOME: Record<FallbackRoute['rung'], string> = {
  inbox: 'waiting',
  sms: 'sms_queued',
  none: 'skipped',
};

const addTrail = (c: Queryable, t: TrailEntry) =>
  c.query(
    `INSERT INTO trail (group_id, user_id, seq_from, seq_to, rung, outcome, reason, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [t.groupId, t.userId, t.seqFrom, t.seqTo, t.rung, t.outcome, t.reason, t.at],
  );

/** Moves the inbox's upper end and arms its reminder unless one is already pending. */
const toInbox = (c: Queryable, groupId: number, userId: number, upTo: number, reminderDueAt: number | null) =>
  c.query(
    `UPDATE memberships SET inbox_upto = GREATEST(inbox_upto, $1::bigint),
       reminder_due_at = coalesce(reminder_due_at, $2::bigint)
     WHERE group_id = $3 AND user_id = $4 AND state = 'active'`,
    [upTo, reminderDueAt, groupId, userId],
  );

// Acks and fetches settle the member's inbox and cancel SMS that have not left yet.
// Cursors never pass the end of the log: an ack or fetch beyond it would silence the member.
const settleSql = (cursor: 'acked_seq' | 'fetched_seq') =>
  `UPDATE memberships SET
     ${cursor} = GREATEST(${cursor}, LEAST($1::bigint, (SELECT last_seq FROM groups WHERE id = $3))),
     routed_seq = GREATEST(routed_seq, LEAST($1::bigint, (SELECT last_seq FROM groups WHERE id = $3))),
     updated_at = $2::bigint,
     reminder_due_at = CASE WHEN GREATEST($1::bigint, acked_seq, fetched_seq) >= inbox_upto THEN NULL ELSE reminder_due_at END,
     escalate_at = CASE WHEN GREATEST($1::bigint, acked_seq, fetched_seq) >= inbox_upto THEN NULL ELSE escalate_at END
   WHERE group_id = $3 AND user_id = $4 AND state = 'active'`;
const ACK_CURSOR = settleSql('acked_seq');
const FETCH_CURSOR = settleSql('fetched_seq');

export function pgDelivery(db: Db, reminderDelayMs: number): Omit<DeliveryStore, 'inboxConfirmed'> {
  const settleAll = async (
    cursorSql: string,
    why: string,
    items: { groupId: number; userId: number; seq: number }[],
    now: number,
    first?: string,
  ) =>
    tx(db, async (c) => {
      if (first) await c.query(first);
      let cancelled = 0;
      for (const a of items) {
        if ((await changes(c, cursorSql, [a.seq, now, a.groupId, a.userId])) === 0) continue;
        cancelled += await changes(
          c,
          `UPDATE outbound_sms SET state = 'cancelled', error = $1, updated_at = $2
           WHERE group_id = $3 AND user_id = $4 AND kind = 'group_message' AND seq <= $5::bigint AND state = 'queued'`,
          [why, now, a.groupId, a.userId, a.seq],
        );
      }
      return cancelled;
    });

  return {
    async route(routes) {
      if (routes.length === 0) return;
      await tx(db, async (c) => {
        for (const r of routes) {
          const changed = await changes(
            c,
            `UPDATE memberships SET updated_at = $3::bigint,
               -- routed_seq only grows over a contiguous range, so a hole (a live range still awaiting its ack)
               -- is found again by crash recovery instead of being skipped
               routed_seq = CASE WHEN GREATEST(routed_seq, acked_seq) >= $1::bigint
                 THEN GREATEST(routed_seq, $2::bigint) ELSE routed_seq END,
               inbox_upto = CASE WHEN $4::int = 1 THEN GREATEST(inbox_upto, $2::bigint) ELSE inbox_upto END,
               reminder_due_at = CASE WHEN $4::int = 1 THEN coalesce(reminder_due_at, $5::bigint) ELSE reminder_due_at END
             WHERE group_id = $6 AND user_id = $7 AND state = 'active'`,
            [r.seqFrom, r.seqTo, r.at, r.rung === 'inbox' ? 1 : 0, r.reminderDueAt, r.groupId, r.userId],
          );
          // A member removed between the decision and this write gets nothing.
          if (changed === 0) continue;
          // Decided a turn ago: what the member acked live or fetched since then is not texted, and what an
          // inbox pull has already shown stays with the inbox (and its reminder) rather than going twice.
          const cur = await row<{ seen: number; shown: number }>(
            c,
            `SELECT GREATEST(acked_seq, fetched_seq) AS seen, shown_seq AS shown
             FROM memberships WHERE group_id = $1 AND user_id = $2`,
            [r.groupId, r.userId],
          );
          const seen = cur?.seen ?? 0;
          const shown = r.escalation ? 0 : (cur?.shown ?? 0);
          const keptInInbox = r.sms.filter((o) => o.seq !== null && o.seq > seen && o.seq <= shown);
          if (keptInInbox.length > 0) await toInbox(c, r.groupId, r.userId, shown, r.at + reminderDelayMs);
          // 'none' only moves the cursor: the trail shows the sender and hidden messages from the log itself.
          if (r.rung !== 'none') await addTrail(c, { ...r, rung: r.rung, outcome: OUTCOME[r.rung] });
          for (const o of r.sms) {
            if (o.seq === null || o.seq > Math.max(seen, shown)) await insertOutbound(c, o, r.at);
          }
        }
      });
    },
    async ack(acks, now) {
      if (acks.length === 0) return 0;
      // An ack lost to a crash only means a redelivery, so ack batches do not wait for their own WAL
      // flush: synchronous_commit=off for this transaction only (SET LOCAL, its first statement; the
      // session stays on), and the next durable commit flushes them too. SQLite uses synchronous=NORMAL.
      return settleAll(
        ACK_CURSOR,
        'acked live before the SMS left',
        acks,
        now,
        'SET LOCAL synchronous_commit = off',
      );
    },
    async fetched(userId, upTo, now) {
      if (upTo.length === 0) return 0;
      return settleAll(
        FETCH_CURSOR,
        'fetched from the inbox before the SMS left',
        upTo.map((u) => ({ ...u, userId })),
        now,
      );
    },
    async markRead(userId, groupId, seq) {
      await db.query(
        'UPDATE memberships SET read_seq = GREATEST(read_seq, $1::bigint) WHERE group_id = $2 AND user_id = $3',
        [seq, groupId, userId],
      );
    },
    async showInInbox(userId, groupId, seqs, now, reminderDueAt) {
      if (seqs.length === 0) return [];
      return tx(db, async (c) => {
        await c.query(
          'UPDATE memberships SET shown_seq = GREATEST(shown_seq, $1::bigint) WHERE group_id = $2 AND user_id = $3',
          [Math.max(...seqs), groupId, userId],
        );
        const handed: number[] = [];
        for (const seq of seqs) {
          const n = await changes(
            c,
            `UPDATE outbound_sms SET state = 'cancelled', error = $1, updated_at = $2
             WHERE group_id = $3 AND user_id = $4 AND seq = $5 AND kind = 'group_message' AND state = 'queued'`,
            ['shown in the inbox before it left', now, groupId, userId, seq],
          );
          if (n > 0) handed.push(seq);
        }
        if (handed.length === 0) return handed;
        const to = Math.max(...handed);
        await toInbox(c, groupId, userId, to, reminderDueAt);
        await addTrail(c, {
          groupId,
          userId,
          seqFrom: Math.min(...handed) - 1,
          seqTo: to,
          rung: 'inbox',
          outcome: 'waiting',
          reason: `shown in the inbox before its SMS left (${handed.length} text(s) cancelled)`,
          at: now,
        });
        return handed;
      });
    },
    async unrouted() {
      // Ordered as SQLite returns it: it walks its index on (user_id, state), then group_id.
      return rows<{ groupId: number; userId: number; fromSeq: number; toSeq: number }>(
        db,
        `SELECT m.group_id AS "groupId", m.user_id AS "userId", GREATEST(m.routed_seq, m.acked_seq) AS "fromSeq",
           g.last_seq AS "toSeq"
         FROM memberships m JOIN groups g ON g.id = m.group_id
         WHERE m.state = 'active' AND GREATEST(m.routed_seq, m.acked_seq) < g.last_seq
         ORDER BY m.user_id, m.group_id`,
      );
    },
    async dueReminders(now, limit) {
      // The unread count is a subquery of the same statement: one snapshot, one round trip. Ties on the
      // due time are broken by the primary key, as in SQLite's index on it (WITHOUT ROWID table).
      const due = await rows<{
        group_id: number;
        user_id: number;
        name: string;
        esc: number;
        from_seq: number;
        inbox_upto: number;
        unread: number;
      }>(
        db,
        `SELECT m.group_id, m.user_id, g.name, g.escalate_to_sms AS esc,
           GREATEST(m.fetched_seq, m.acked_seq) AS from_seq, m.inbox_upto,
           (SELECT count(*) FROM messages x WHERE x.group_id = m.group_id
              AND x.seq > GREATEST(m.fetched_seq, m.acked_seq) AND x.seq <= m.inbox_upto
              AND x.sender_id <> m.user_id) AS unread
         FROM memberships m JOIN groups g ON g.id = m.group_id
         WHERE m.reminder_due_at IS NOT NULL AND m.reminder_due_at <= $1::bigint
         ORDER BY m.reminder_due_at, m.group_id, m.user_id LIMIT $2`,
        [now, limit],
      );
      return due.map((r) => ({
        groupId: r.group_id,
        userId: r.user_id,
        fromSeq: r.from_seq,
        toSeq: r.inbox_upto,
        groupName: r.name,
        escalate: r.esc === 1,
        unread: r.unread,
      }));
    },
    async reminded(items) {
      // One transaction for a whole scan's worth of reminders: one WAL flush, not one per member.
      if (items.length === 0) return;
      await tx(db, async (c) => {
        for (const r of items) {
          await c.query(
            `UPDATE memberships SET reminder_due_at = NULL, escalate_at = coalesce(escalate_at, $1::bigint)
             WHERE group_id = $2 AND user_id = $3`,
            [r.escalateAt, r.groupId, r.userId],
          );
          await addTrail(c, r.trail);
        }
      });
    },
    async dueEscalations(now, limit) {
      return rows<{ groupId: number; userId: number; fromSeq: number; toSeq: number }>(
        db,
        `SELECT group_id AS "groupId", user_id AS "userId", GREATEST(fetched_seq, acked_seq) AS "fromSeq",
           inbox_upto AS "toSeq"
         FROM memberships WHERE escalate_at IS NOT NULL AND escalate_at <= $1::bigint AND state = 'active'
         ORDER BY escalate_at, group_id, user_id LIMIT $2`,
        [now, limit],
      );
    },
    async clearEscalation(groupId, userId) {
      await db.query('UPDATE memberships SET escalate_at = NULL WHERE group_id = $1 AND user_id = $2', [
        groupId,
        userId,
      ]);
    },
    async trailFor(groupId, seq) {
      return (
        await rows<TrailRow>(
          db,
          'SELECT * FROM trail WHERE group_id = $1 AND seq_to >= $2 AND seq_from < $2 ORDER BY id',
          [groupId, seq],
        )
      ).map(toTrail);
    },
    async addTrail(entries) {
      if (entries.length === 0) return;
      await tx(db, async (c) => {
        for (const t of entries) await addTrail(c, t);
      });
    },
  };
}
