// The durable group log on PostgreSQL: gap-free per-group sequence numbers, idempotent by client id.
// A batch is ONE set-based statement, its own transaction (one round trip and one WAL flush whatever
// its size): it finds the client ids already stored, locks the batch's group rows in id order and moves
// each group's last_seq on by its count of new messages (one UPDATE … RETURNING for all groups),
// inserts every new message in one multi-row INSERT … ON CONFLICT, and moves each sender's routed
// cursor past their own messages. The group row locks order concurrent batches from any node (READ
// COMMITTED: a writer queues on the lock and re-reads last_seq). What must undo the whole batch makes
// the statement fail, so nothing of it commits: see the last two columns of APPEND_BATCH.
import { type MessageRow, toMessage } from '../rows.ts';
import type { AppendResult, MessageStore, NewMessage } from '../store.ts';
import { type Db, prepared, row, rows } from './pg-db.ts';

/**
 * $1…$9 are the batch's columns as arrays (client ids distinct per group and sender). Seqs: the k-th
 * new message of a group gets (new last_seq − n + k). A sender's routed cursor advances over the first
 * contiguous run of their own new messages if it had reached the message before it, as one append at a
 * time would have done (later runs cannot: another sender's message lies between); so does their read
 * cursor if they had read up to the message before it (their own messages are not news to them). A
 * membership row locked by another transaction (the member's own ack, which moves routed_seq itself) is
 * skipped rather than waited for: the log never queues behind the ack path, and a range still holding
 * the sender's own message is what a sender behind on acks has anyway (fall-backs leave the sender's
 * messages out; the web client counts a contiguous own message as read when its frame arrives).
 */
const APPEND_BATCH = `
WITH input AS (
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::int[])
    WITH ORDINALITY AS t(group_id, id, sender_id, body, source, client_msg_id, audience, created_at, urgent, ord)
),
prior AS (
  SELECT i.ord, m.* FROM input i
  JOIN messages m ON m.group_id = i.group_id AND m.sender_id = i.sender_id AND m.client_msg_id = i.client_msg_id
),
fresh AS (
  SELECT i.*, row_number() OVER (PARTITION BY i.group_id ORDER BY i.ord) AS rk
  FROM input i WHERE NOT EXISTS (SELECT 1 FROM prior p WHERE p.ord = i.ord)
),
counts AS (SELECT group_id, count(*) AS n FROM fresh GROUP BY group_id),
locked AS (SELECT g.id FROM groups g WHERE g.id IN (SELECT group_id FROM counts) ORDER BY g.id FOR UPDATE),
bumped AS (
  UPDATE groups g SET last_seq = g.last_seq + c.n FROM counts c
  WHERE g.id = c.group_id AND g.id IN (SELECT id FROM locked)
  RETURNING g.id, g.last_seq - c.n AS base
),
ins AS (
  INSERT INTO messages (group_id, seq, id, sender_id, body, source, client_msg_id, audience, created_at, urgent)
  SELECT f.group_id, b.base + f.rk, f.id, f.sender_id, f.body, f.source, f.client_msg_id, f.audience, f.created_at, f.urgent
  FROM fresh f JOIN bumped b ON b.id = f.group_id
  ON CONFLICT (group_id, sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL DO NOTHING
  RETURNING id, seq
),
islands AS (
  SELECT group_id, sender_id, rk, rk - row_number() OVER (PARTITION BY group_id, sender_id ORDER BY rk) AS island
  FROM fresh
),
first_islands AS (
  SELECT group_id, sender_id, rk, island, min(island) OVER (PARTITION BY group_id, sender_id) AS first
  FROM islands
),
first_runs AS (
  SELECT group_id, sender_id, min(rk) AS a, max(rk) AS z FROM first_islands
  WHERE island = first GROUP BY group_id, sender_id
),
routable AS (
  SELECT m.group_id, m.user_id, b.base + r.a - 1 AS before, b.base + r.z AS upto
  FROM memberships m JOIN first_runs r ON m.group_id = r.group_id AND m.user_id = r.sender_id
  JOIN bumped b ON b.id = r.group_id
  WHERE (GREATEST(m.routed_seq, m.acked_seq) >= b.base + r.a - 1 AND m.routed_seq < b.base + r.z)
     OR m.read_seq >= b.base + r.a - 1
  FOR UPDATE OF m SKIP LOCKED
),
routed AS (
  UPDATE memberships m SET
    routed_seq = CASE WHEN GREATEST(m.routed_seq, m.acked_seq) >= t.before THEN GREATEST(m.routed_seq, t.upto)
                      ELSE m.routed_seq END,
    read_seq = CASE WHEN m.read_seq >= t.before THEN GREATEST(m.read_seq, t.upto) ELSE m.read_seq END
  FROM routable t WHERE m.group_id = t.group_id AND m.user_id = t.user_id
  RETURNING 1
)
SELECT
  (SELECT json_agg(json_build_array(id, seq)) FROM ins) AS inserted,
  (SELECT json_agg(p) FROM prior p) AS prior,
  -- A group that does not exist fails the batch (22P02, not retried).
  CAST(CASE WHEN (SELECT count(*) FROM counts) = (SELECT count(*) FROM bumped) THEN '0'
            ELSE 'append to an unknown group' END AS int) AS known,
  -- The same client id committed by another writer while this one waited for a group lock: ON CONFLICT
  -- skipped the row but its seq was taken. Division by zero (22012) undoes it all; the retry finds it.
  1 / CASE WHEN (SELECT count(*) FROM ins) = (SELECT count(*) FROM fresh f WHERE f.group_id IN (SELECT id FROM bumped))
           THEN 1 ELSE 0 END AS whole
`;

const appendBatch = prepared('qun_append_batch', APPEND_BATCH);

/** Undone and tried again: a client id raced in (22012, above), a deadlock or serialization failure. */
const RETRY = new Set(['22012', '40P01', '40001']);
const MAX_ATTEMPTS = 20;

/** A batch's message of the same group, sender and client id as an earlier one: answered as its duplicate. */
const dupKey = (m: NewMessage) =>
  m.clientMsgId === null ? undefined : `${m.groupId}\u0000${m.senderId}\u0000${m.clientMsgId}`;

export function pgMessages(db: Db): MessageStore {
  return {
    async append(batch) {
      if (batch.length === 0) return [];
      // Repeats inside the batch are resolved here, so the statement sees each client id once.
      const first = new Map<string, number>();
      const unique: NewMessage[] = [];
      const slot: number[] = [];
      for (const m of batch) {
        const k = dupKey(m);
        const seen = k === undefined ? undefined : first.get(k);
        if (seen !== undefined) {
          slot.push(-1 - seen);
          continue;
        }
        if (k !== undefined) first.set(k, unique.length);
        slot.push(unique.length);
        unique.push(m);
      }
      const params = [
        unique.map((m) => m.groupId),
        unique.map((m) => m.id),
        unique.map((m) => m.senderId),
        unique.map((m) => m.body),
        unique.map((m) => m.source),
        unique.map((m) => m.clientMsgId),
        unique.map((m) => m.audience),
        unique.map((m) => m.createdAt),
        unique.map((m) => (m.urgent ? 1 : 0)),
      ];
      let r:
        | { inserted: [string, number][] | null; prior: (MessageRow & { ord: number })[] | null }
        | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          r = await row(db, appendBatch(params));
          break;
        } catch (e) {
          const err = e as { code?: string; message?: string };
          if (err.code === '22P02' && err.message?.includes('unknown group'))
            throw new Error('append to unknown group', { cause: e });
          if (!RETRY.has(err.code ?? '') || attempt >= MAX_ATTEMPTS) throw e;
          await new Promise((res) => setTimeout(res, Math.random() * attempt * 5));
        }
      }
      const inserted = new Map((r?.inserted ?? []).map(([id, seq]) => [id, seq]));
      const priorByOrd = new Map((r?.prior ?? []).map((p) => [Number(p.ord), p]));
      const results: AppendResult[] = unique.map((m, i) => {
        const p = priorByOrd.get(i + 1);
        if (p) return { message: toMessage(p), duplicate: true };
        const seq = inserted.get(m.id);
        if (seq === undefined) throw new Error(`message ${m.id} was neither stored nor found`);
        return { message: { ...m, seq }, duplicate: false };
      });
      return slot.map((s) => (s >= 0 ? results[s]! : { message: results[-1 - s]!.message, duplicate: true }));
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
