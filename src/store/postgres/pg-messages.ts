// The durable group log on PostgreSQL: gap-free per-group sequence numbers, idempotent by client id.
// The row lock taken by `UPDATE groups ... last_seq + 1` orders concurrent appends to one group, so two
// nodes never hand out the same seq; READ COMMITTED lets them queue on that lock instead of aborting
// (see tx in pg-db.ts); the transaction commits the whole batch with one WAL flush.
import { type MessageRow, toMessage } from '../rows.ts';
import type { AppendResult, MessageStore } from '../store.ts';
import { type Db, row, rows, tx } from './pg-db.ts';

export function pgMessages(db: Db): MessageStore {
  return {
    async append(batch) {
      return tx(
        db,
        async (c) => {
          const out: AppendResult[] = [];
          for (const m of batch) {
            if (m.clientMsgId !== null) {
              const prior = await row<MessageRow>(
                c,
                'SELECT * FROM messages WHERE group_id = $1 AND sender_id = $2 AND client_msg_id = $3',
                [m.groupId, m.senderId, m.clientMsgId],
              );
              if (prior) {
                out.push({ message: toMessage(prior), duplicate: true });
                continue;
              }
            }
            const seqRow = await row<{ last_seq: number }>(
              c,
              'UPDATE groups SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq',
              [m.groupId],
            );
            if (!seqRow) throw new Error(`append to unknown group ${m.groupId}`);
            const seq = seqRow.last_seq;
            await c.query(
              `INSERT INTO messages (group_id, seq, id, sender_id, body, source, client_msg_id, audience, created_at, urgent)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
              [
                m.groupId,
                seq,
                m.id,
                m.senderId,
                m.body,
                m.source,
                m.clientMsgId,
                m.audience,
                m.createdAt,
                m.urgent ? 1 : 0,
              ],
            );
            // The sender has nothing to receive: their routed cursor moves past their own message in the
            // same commit, instead of costing a write of its own.
            await c.query(
              `UPDATE memberships SET routed_seq = $1 WHERE group_id = $2 AND user_id = $3
               AND GREATEST(routed_seq, acked_seq) >= $1 - 1 AND routed_seq < $1`,
              [seq, m.groupId, m.senderId],
            );
            out.push({ message: { ...m, seq }, duplicate: false });
          }
          return out;
        },
        { readCommitted: true },
      );
    },
    async range(groupId, afterSeq, upToSeq, limit) {
      return (
        await rows<MessageRow>(
          db,
          'SELECT * FROM messages WHERE group_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4',
          [groupId, afterSeq, upToSeq, limit],
        )
      ).map(toMessage);
    },
    async byId(id) {
      const r = await row<MessageRow>(db, 'SELECT * FROM messages WHERE id = $1', [id]);
      return r && toMessage(r);
    },
  };
}
