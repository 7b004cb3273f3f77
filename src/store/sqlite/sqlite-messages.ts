// The durable group log on SQLite: gap-free per-group sequence numbers, idempotent by client id.
import type { Database } from 'better-sqlite3';
import { type MessageRow, toMessage } from '../rows.ts';
import type { AppendResult, MessageStore, NewMessage } from '../store.ts';

export function sqliteMessages(db: Database): MessageStore {
  const existing = db.prepare<[number, number, string], MessageRow>(
    'SELECT * FROM messages WHERE group_id = ? AND sender_id = ? AND client_msg_id = ?',
  );
  const nextSeq = db.prepare<[number], { last_seq: number }>(
    'UPDATE groups SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq',
  );
  const insert = db.prepare(
    `INSERT INTO messages (group_id, seq, id, sender_id, body, source, client_msg_id, audience, created_at, urgent)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const append = db.transaction((batch: NewMessage[]): AppendResult[] =>
    batch.map((m) => {
      if (m.clientMsgId !== null) {
        const prior = existing.get(m.groupId, m.senderId, m.clientMsgId);
        if (prior) return { message: toMessage(prior), duplicate: true };
      }
      const seqRow = nextSeq.get(m.groupId);
      if (!seqRow) throw new Error(`append to unknown group ${m.groupId}`);
      insert.run(
        m.groupId,
        seqRow.last_seq,
        m.id,
        m.senderId,
        m.body,
        m.source,
        m.clientMsgId,
        m.audience,
        m.createdAt,
        m.urgent ? 1 : 0,
      );
      // The sender has nothing to receive: their routed cursor moves past their own message here, in the
      // same commit, instead of costing a write of its own. Nor is it news to them: their read cursor moves
      // too, when they had read everything before it (the web client's rule, made durable so that every
      // device opens the group at the same place before any live frame arrives).
      const seq = seqRow.last_seq;
      senderCursors.run({ seq, group: m.groupId, user: m.senderId });
      return { message: { ...m, seq }, duplicate: false };
    }),
  );
  const routable = 'max(routed_seq, acked_seq) >= @seq - 1 AND routed_seq < @seq';
  const senderCursors = db.prepare(
    `UPDATE memberships SET
       routed_seq = CASE WHEN ${routable} THEN @seq ELSE routed_seq END,
       read_seq = CASE WHEN read_seq = @seq - 1 THEN @seq ELSE read_seq END
     WHERE group_id = @group AND user_id = @user AND (${routable} OR read_seq = @seq - 1)`,
  );
  const range = db.prepare<[number, number, number, number], MessageRow>(
    'SELECT * FROM messages WHERE group_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
  );
  const byId = db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?');

  return {
    async append(batch) {
      return append(batch);
    },
    async range(groupId, afterSeq, upToSeq, limit) {
      return range.all(groupId, afterSeq, upToSeq, limit).map(toMessage);
    },
    async byId(id) {
      const r = byId.get(id);
      return r && toMessage(r);
    },
  };
}
