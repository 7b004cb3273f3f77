// Queues one outbound text inside the caller's transaction (the delivery store's routes and the queue's
// own enqueue share it).
import type { NewOutbound } from '../store.ts';
import { type Queryable, row } from './pg-db.ts';

/** The new text's id, or 0 when the member already has a live text for that group message. */
export async function insertOutbound(c: Queryable, o: NewOutbound, now: number): Promise<number> {
  // The group a number last heard from: where its plain replies go in single-number mode.
  if (o.groupId !== null) {
    await c.query('UPDATE users SET last_group_id = $1 WHERE phone = $2', [o.groupId, o.toPhone]);
  }
  // NOT EXISTS: a group message already texted to this member (and not cancelled) is not texted again,
  // whichever path (fan-out, ack timeout, recovery, escalation) decided it twice; tested before the insert
  // so that it burns no identity value (ids would drift from the SQLite engine's, whose OR IGNORE takes
  // none). ON CONFLICT DO NOTHING still covers a concurrent insert of the same text.
  const r = await row<{ id: number }>(
    c,
    `INSERT INTO outbound_sms (kind, to_phone, from_addr, text, group_id, seq, user_id, ignore_opt_out, state, created_at, updated_at, not_before, digest)
     SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint, $6::bigint, $7::bigint, $8::int, 'queued', $9::bigint, $9::bigint, $10::bigint, $11::int
     WHERE $1::text <> 'group_message' OR NOT EXISTS (
       SELECT 1 FROM outbound_sms WHERE group_id = $5 AND seq = $6 AND user_id = $7
         AND kind = 'group_message' AND state <> 'cancelled')
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      o.kind,
      o.toPhone,
      o.fromAddr,
      o.text,
      o.groupId,
      o.seq,
      o.userId,
      o.ignoreOptOut ? 1 : 0,
      now,
      o.notBefore ?? 0,
      o.digest ? 1 : 0,
    ],
  );
  return r?.id ?? 0;
}

/**
 * Queues many texts in one statement, each as `insertOutbound` would one after the other: ids in the
 * given order, a member's group message never twice (the first of a repeat in the batch wins, so the
 * skipped one burns no id), and each number's last group that of its last text.
 */
export async function insertOutbounds(c: Queryable, items: { o: NewOutbound; at: number }[]): Promise<void> {
  const seen = new Set<string>();
  const xs = items.filter(({ o }) => {
    if (o.kind !== 'group_message') return true;
    const k = `${o.groupId}:${o.seq}:${o.userId}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (xs.length === 0) return;
  const col = <K extends keyof NewOutbound>(k: K) => xs.map(({ o }) => o[k] ?? null);
  await c.query(
    `WITH t AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],
         $8::int[], $9::bigint[], $10::bigint[], $11::int[]) WITH ORDINALITY
         AS t(kind, to_phone, from_addr, text, group_id, seq, user_id, ignore_opt_out, at, not_before, digest, ord)
     ),
     last_group AS (
       UPDATE users u SET last_group_id = x.group_id
       FROM (SELECT DISTINCT ON (to_phone) to_phone, group_id FROM t WHERE group_id IS NOT NULL
             ORDER BY to_phone, ord DESC) x
       WHERE u.phone = x.to_phone
     )
     INSERT INTO outbound_sms (kind, to_phone, from_addr, text, group_id, seq, user_id, ignore_opt_out, state, created_at, updated_at, not_before, digest)
     SELECT kind, to_phone, from_addr, text, group_id, seq, user_id, ignore_opt_out, 'queued', at, at, not_before, digest
     FROM t WHERE kind <> 'group_message' OR NOT EXISTS (
       SELECT 1 FROM outbound_sms o WHERE o.group_id = t.group_id AND o.seq = t.seq AND o.user_id = t.user_id
         AND o.kind = 'group_message' AND o.state <> 'cancelled')
     ORDER BY ord
     ON CONFLICT DO NOTHING`,
    [
      col('kind'),
      col('toPhone'),
      col('fromAddr'),
      col('text'),
      col('groupId'),
      col('seq'),
      col('userId'),
      xs.map(({ o }) => (o.ignoreOptOut ? 1 : 0)),
      xs.map(({ at }) => at),
      xs.map(({ o }) => o.notBefore ?? 0),
      xs.map(({ o }) => (o.digest ? 1 : 0)),
    ],
  );
}
