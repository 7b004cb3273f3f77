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
  // DO NOTHING: a group message already texted to this member (and not cancelled) is not texted again,
  // whichever path (fan-out, ack timeout, recovery, escalation) decided it twice.
  const r = await row<{ id: number }>(
    c,
    `INSERT INTO outbound_sms (kind, to_phone, from_addr, text, group_id, seq, user_id, ignore_opt_out, state, created_at, updated_at, not_before, digest)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $9, $10, $11)
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
