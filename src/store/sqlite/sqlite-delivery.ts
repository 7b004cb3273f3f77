// Per-member delivery state on SQLite: cursors, fall-back routes, reminders, escalation, the trail.
import type { Database } from 'better-sqlite3';
import { type TrailRow, toTrail } from '../rows.ts';
import type { DeliveryStore, FallbackRoute, TrailEntry } from '../store.ts';
import { insertOutbound } from './sqlite-outbound.ts';

const OUTCOME: Record<FallbackRoute['rung'], string> = {
  inbox: 'waiting',
  sms: 'sms_queued',
  none: 'skipped',
};

export function sqliteDelivery(db: Database, reminderDelayMs: number): Omit<DeliveryStore, 'inboxConfirmed'> {
  const routeCursor = db.prepare(
    `UPDATE memberships SET updated_at = @at,
       -- routed_seq only grows over a contiguous range, so a hole (a live range still awaiting its ack)
       -- is found again by crash recovery instead of being skipped
       routed_seq = CASE WHEN max(routed_seq, acked_seq) >= @from THEN max(routed_seq, @to) ELSE routed_seq END,
       inbox_upto = CASE WHEN @inbox = 1 THEN max(inbox_upto, @to) ELSE inbox_upto END,
       reminder_due_at = CASE WHEN @inbox = 1 THEN coalesce(reminder_due_at, @due) ELSE reminder_due_at END
     WHERE group_id = @group AND user_id = @user AND state = 'active'`,
  );
  const trailInsert = db.prepare(
    `INSERT INTO trail (group_id, user_id, seq_from, seq_to, rung, outcome, reason, at)
     VALUES (@groupId, @userId, @seqFrom, @seqTo, @rung, @outcome, @reason, @at)`,
  );
  const addTrail = (t: TrailEntry) => trailInsert.run(t);
  const cursors = db.prepare<[number, number], { seen: number; shown: number }>(
    'SELECT max(acked_seq, fetched_seq) AS seen, shown_seq AS shown FROM memberships WHERE group_id = ? AND user_id = ?',
  );
  const toInbox = db.prepare(
    `UPDATE memberships SET inbox_upto = max(inbox_upto, ?), reminder_due_at = coalesce(reminder_due_at, ?)
     WHERE group_id = ? AND user_id = ? AND state = 'active'`,
  );
  const enqueue = insertOutbound(db);
  const route = db.transaction((routes: FallbackRoute[]) => {
    for (const r of routes) {
      const changed = routeCursor.run({
        from: r.seqFrom,
        to: r.seqTo,
        at: r.at,
        inbox: r.rung === 'inbox' ? 1 : 0,
        due: r.reminderDueAt,
        group: r.groupId,
        user: r.userId,
      }).changes;
      // A member removed between the decision and this write gets nothing.
      if (changed === 0) continue;
      // Decided a turn ago: what the member acked live or fetched since then is not texted, and what an
      // inbox pull has already shown stays with the inbox (and its reminder) rather than going twice.
      const c = cursors.get(r.groupId, r.userId);
      const seen = c?.seen ?? 0;
      const shown = r.escalation ? 0 : (c?.shown ?? 0);
      const keptInInbox = r.sms.filter((o) => o.seq !== null && o.seq > seen && o.seq <= shown);
      if (keptInInbox.length > 0) toInbox.run(shown, r.at + reminderDelayMs, r.groupId, r.userId);
      // 'none' only moves the cursor: the trail shows the sender and hidden messages from the log itself.
      if (r.rung !== 'none') addTrail({ ...r, rung: r.rung, outcome: OUTCOME[r.rung] });
      for (const o of r.sms) if (o.seq === null || o.seq > Math.max(seen, shown)) enqueue(o, r.at);
    }
  });

  // Acks and fetches settle the member's inbox and cancel SMS that have not left yet.
  // Cursors never pass the end of the log: an ack or fetch beyond it would silence the member.
  const settle = (cursor: 'acked_seq' | 'fetched_seq') =>
    db.prepare(
      `UPDATE memberships SET ${cursor} = max(${cursor}, min(@seq, (SELECT last_seq FROM groups WHERE id = @group))),
         routed_seq = max(routed_seq, min(@seq, (SELECT last_seq FROM groups WHERE id = @group))), updated_at = @now,
         reminder_due_at = CASE WHEN max(@seq, acked_seq, fetched_seq) >= inbox_upto THEN NULL ELSE reminder_due_at END,
         escalate_at = CASE WHEN max(@seq, acked_seq, fetched_seq) >= inbox_upto THEN NULL ELSE escalate_at END
       WHERE group_id = @group AND user_id = @user AND state = 'active'`,
    );
  const ackCursor = settle('acked_seq');
  const fetchCursor = settle('fetched_seq');
  const cancel = db.prepare(
    `UPDATE outbound_sms SET state = 'cancelled', error = @why, updated_at = @now
     WHERE group_id = @group AND user_id = @user AND kind = 'group_message' AND seq <= @seq AND state = 'queued'`,
  );
  const settleAll = (stmt: typeof ackCursor, why: string) =>
    db.transaction((items: { groupId: number; userId: number; seq: number }[], now: number) => {
      let cancelled = 0;
      for (const a of items) {
        const p = { seq: a.seq, now, group: a.groupId, user: a.userId };
        if (stmt.run(p).changes > 0) cancelled += cancel.run({ ...p, why }).changes;
      }
      return cancelled;
    });
  const ack = settleAll(ackCursor, 'acked live before the SMS left');
  const fetched = settleAll(fetchCursor, 'fetched from the inbox before the SMS left');

  const handOver = db.prepare(
    `UPDATE outbound_sms SET state = 'cancelled', error = @why, updated_at = @now
     WHERE group_id = @group AND user_id = @user AND seq = @seq AND kind = 'group_message' AND state = 'queued'`,
  );
  const unreadCount = db.prepare<[number, number, number, number], { n: number }>(
    'SELECT count(*) AS n FROM messages WHERE group_id = ? AND seq > ? AND seq <= ? AND sender_id <> ?',
  );

  return {
    async route(routes) {
      route(routes);
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
      db.prepare('UPDATE memberships SET read_seq = max(read_seq, ?) WHERE group_id = ? AND user_id = ?').run(
        seq,
        groupId,
        userId,
      );
    },
    async showInInbox(userId, groupId, seqs, now, reminderDueAt) {
      if (seqs.length === 0) return [];
      return db.transaction(() => {
        db.prepare(
          'UPDATE memberships SET shown_seq = max(shown_seq, ?) WHERE group_id = ? AND user_id = ?',
        ).run(Math.max(...seqs), groupId, userId);
        const handed = seqs.filter(
          (seq) =>
            handOver.run({ why: 'shown in the inbox before it left', now, group: groupId, user: userId, seq })
              .changes > 0,
        );
        if (handed.length === 0) return handed;
        const to = Math.max(...handed);
        db.prepare(
          `UPDATE memberships SET inbox_upto = max(inbox_upto, ?), reminder_due_at = coalesce(reminder_due_at, ?)
           WHERE group_id = ? AND user_id = ? AND state = 'active'`,
        ).run(to, reminderDueAt, groupId, userId);
        addTrail({
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
      })();
    },
    async unrouted() {
      return db
        .prepare<[], { groupId: number; userId: number; fromSeq: number; toSeq: number }>(
          `SELECT m.group_id AS groupId, m.user_id AS userId, max(m.routed_seq, m.acked_seq) AS fromSeq, g.last_seq AS toSeq
           FROM memberships m JOIN groups g ON g.id = m.group_id
           WHERE m.state = 'active' AND max(m.routed_seq, m.acked_seq) < g.last_seq`,
        )
        .all();
    },
    async dueReminders(now, limit) {
      const rows = db
        .prepare<
          [number, number],
          {
            group_id: number;
            user_id: number;
            name: string;
            esc: number;
            from_seq: number;
            inbox_upto: number;
          }
        >(
          `SELECT m.group_id, m.user_id, g.name, g.escalate_to_sms AS esc,
             max(m.fetched_seq, m.acked_seq) AS from_seq, m.inbox_upto
           FROM memberships m JOIN groups g ON g.id = m.group_id
           WHERE m.reminder_due_at IS NOT NULL AND m.reminder_due_at <= ?
           ORDER BY m.reminder_due_at LIMIT ?`,
        )
        .all(now, limit);
      return rows.map((r) => ({
        groupId: r.group_id,
        userId: r.user_id,
        fromSeq: r.from_seq,
        toSeq: r.inbox_upto,
        groupName: r.name,
        escalate: r.esc === 1,
        unread: unreadCount.get(r.group_id, r.from_seq, r.inbox_upto, r.user_id)?.n ?? 0,
      }));
    },
    async reminded(items) {
      // One transaction for a whole scan's worth of reminders: one fsync, not one per member.
      const mark = db.prepare(
        'UPDATE memberships SET reminder_due_at = NULL, escalate_at = coalesce(escalate_at, ?) WHERE group_id = ? AND user_id = ?',
      );
      db.transaction(() => {
        for (const r of items) {
          mark.run(r.escalateAt, r.groupId, r.userId);
          addTrail(r.trail);
        }
      })();
    },
    async dueEscalations(now, limit) {
      return db
        .prepare<[number, number], { groupId: number; userId: number; fromSeq: number; toSeq: number }>(
          `SELECT group_id AS groupId, user_id AS userId, max(fetched_seq, acked_seq) AS fromSeq, inbox_upto AS toSeq
           FROM memberships WHERE escalate_at IS NOT NULL AND escalate_at <= ? AND state = 'active'
           ORDER BY escalate_at LIMIT ?`,
        )
        .all(now, limit);
    },
    async clearEscalation(groupId, userId) {
      db.prepare('UPDATE memberships SET escalate_at = NULL WHERE group_id = ? AND user_id = ?').run(
        groupId,
        userId,
      );
    },
    async trailFor(groupId, seq) {
      return db
        .prepare<[number, number, number], TrailRow>(
          'SELECT * FROM trail WHERE group_id = ? AND seq_to >= ? AND seq_from < ? ORDER BY id',
        )
        .all(groupId, seq, seq)
        .map(toTrail);
    },
    async addTrail(entries) {
      db.transaction(() => entries.forEach(addTrail))();
    },
  };
}
