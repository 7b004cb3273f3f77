// Trail rows written inside the caller's transaction, shared by the delivery store and its reminders.
import type { TrailEntry } from '../store.ts';
import type { Queryable } from './pg-db.ts';

/** Trail rows of one batch in one statement (the ack path writes one per member and flush). */
export async function addTrails(c: Queryable, ts: TrailEntry[]) {
  if (ts.length === 0) return;
  const col = <K extends keyof TrailEntry>(k: K) => ts.map((t) => t[k]);
  await c.query(
    `INSERT INTO trail (group_id, user_id, seq_from, seq_to, rung, outcome, reason, at)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[])`,
    [
      col('groupId'),
      col('userId'),
      col('seqFrom'),
      col('seqTo'),
      col('rung'),
      col('outcome'),
      col('reason'),
      col('at'),
    ],
  );
}
