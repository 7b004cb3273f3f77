// Live acks on PostgreSQL: a flush of acks is two statements, no transaction around them — one read of
// every acked member's cursor row, then one statement that writes each member's new cursor, its trail
// row and the cancel of its queued texts, each only if the member's row still holds what was read.
//
// Why that is as correct as the serializable transaction it replaces (still used for inbox fetches,
// whose plan also reads the text queue): the write is one statement, so it commits whole or not at all;
// a member's trail row and cancel are joined to that member's own cursor update, so they happen exactly
// when it does. The update compares every column the ack rule reads (state, acked, fetched, shown,
// inbox, reminder, escalation), so an ack, route, inbox pull or membership change that committed in
// between (on this node or another) makes it skip that member, who is read and planned again: the plan
// that lands is always one made from the row it overwrites (two nodes acking one member write
// non-overlapping trail ranges). routed_seq is not compared but raised (GREATEST): every writer only
// raises it (the append's SKIP LOCKED bump of a sender's cursor among them), so raising commutes and an
// append need not make the ack retry. A row another transaction holds is waited for (READ COMMITTED),
// then compared in its new version. The group's last_seq comes from the read; it only grows, and a live
// client acks only what it was sent, so the older value bounds nothing it acks. Queued texts are
// cancelled under the same statement: one the SMS sender claimed first is no longer 'queued' and stays
// sent, as if it had left before the ack. After a few lost races the rest goes through `fallback`.
import { afterWrite, type CursorRow, type CursorWrite, planSettle } from '../rules/delivery-rules.ts';
import type { TrailEntry } from '../store.ts';
import { prepared, type Queryable, rows } from './pg-db.ts';

type Ack = { groupId: number; userId: number; seq: number };

/** Lost races (a member's row changed between read and write) before the rest goes to `fallback`. */
const ACK_ROUNDS = 3;

/** What an ack rule needs of a member: the row as read and the group's end of log. */
type AckCursor = CursorRow & { group_id: number; user_id: number; last_seq: number };

/** One member's planned ack: the row it was planned from, what to write, its trail and cancel. */
type AckWrite = {
  was: AckCursor;
  w: CursorWrite;
  trail: TrailEntry[];
  cancel: { seq: number; why: string };
};

/**
 * The whole flush in one statement. Its own transaction commits without waiting for the WAL flush
 * (set_config(…, true) is SET LOCAL for this statement's implicit transaction; the session stays
 * synchronous): an ack lost to a crash only means a redelivery. SQLite runs acks at synchronous=NORMAL.
 */
const WRITE_ACKS = `
WITH lazy AS (SELECT set_config('synchronous_commit', 'off', true) AS v),
t AS (
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
    $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[],
    $14::bigint[], $15::bigint[])
    AS t(g, u, acked, fetched, routed, inbox, due, esc, at, was_acked, was_fetched, was_shown, was_inbox,
      was_due, was_esc)
),
done AS (
  UPDATE memberships m SET acked_seq = t.acked, fetched_seq = t.fetched,
      routed_seq = GREATEST(m.routed_seq, t.routed), inbox_upto = t.inbox, reminder_due_at = t.due,
      escalate_at = t.esc, updated_at = t.at
  FROM t
  WHERE m.group_id = t.g AND m.user_id = t.u AND m.state = 'active' AND m.acked_seq = t.was_acked
    AND m.fetched_seq = t.was_fetched AND m.shown_seq = t.was_shown AND m.inbox_upto = t.was_inbox
    AND m.reminder_due_at IS NOT DISTINCT FROM t.was_due AND m.escalate_at IS NOT DISTINCT FROM t.was_esc
  RETURNING m.group_id, m.user_id
),
trail AS (
  INSERT INTO trail (group_id, user_id, seq_from, seq_to, rung, outcome, reason, at)
  SELECT x.g, x.u, x.f, x.t, x.rung, x.outcome, x.reason, x.at
  FROM unnest($16::bigint[], $17::bigint[], $18::bigint[], $19::bigint[], $20::text[], $21::text[],
    $22::text[], $23::bigint[]) WITH ORDINALITY AS x(g, u, f, t, rung, outcome, reason, at, ord)
  JOIN done d ON d.group_id = x.g AND d.user_id = x.u
  ORDER BY x.ord
  RETURNING 1
),
cancelled AS (
  UPDATE outbound_sms o SET state = 'cancelled', error = c.why, updated_at = $24
  FROM unnest($25::bigint[], $26::bigint[], $27::bigint[], $28::text[]) AS c(g, u, seq, why)
  JOIN done d ON d.group_id = c.g AND d.user_id = c.u
  WHERE o.group_id = c.g AND o.user_id = c.u AND o.kind = 'group_message' AND o.seq <= c.seq
    AND o.state = 'queued'
  RETURNING 1
)
SELECT (SELECT json_agg(json_build_array(group_id, user_id)) FROM done) AS done,
  (SELECT count(*) FROM cancelled) AS cancelled, (SELECT count(*) FROM trail) AS trailed,
  (SELECT count(*) FROM lazy) AS lazy
`;

const key = (groupId: number, userId: number) => `${groupId}:${userId}`;

/**
 * Settles a flush of acks; answers the count of queued texts cancelled. `read` is the cursor rows of the
 * given members in one statement; `fallback` settles what kept losing races in one serializable transaction.
 */
export async function ackFlush(
  db: Queryable,
  readSql: string,
  acks: Ack[],
  now: number,
  fallback: (rest: Ack[]) => Promise<number>,
): Promise<number> {
  let todo = acks;
  let cancelled = 0;
  for (let round = 1; round <= ACK_ROUNDS; round++) {
    const read = await rows<AckCursor>(db, {
      name: 'qun_ack_cursors',
      text: readSql,
      values: [todo.map((a) => a.groupId), todo.map((a) => a.userId)],
    });
    const plans = planAcks(read, todo, now);
    const r = await writeAcks(db, [...plans.values()], now);
    cancelled += r.cancelled;
    // A member with no active row has nothing to settle (as in the transaction): it is dropped.
    todo = todo.filter((a) => {
      const k = key(a.groupId, a.userId);
      return plans.has(k) && !r.written.has(k);
    });
    if (todo.length === 0) return cancelled;
  }
  return cancelled + (await fallback(todo));
}

/** Each member's acks folded in order (a second ack of one member sees the first), as the rules say. */
function planAcks(read: AckCursor[], acks: Ack[], now: number): Map<string, AckWrite> {
  const current = new Map(read.map((m) => [key(m.group_id, m.user_id), m]));
  const plans = new Map<string, AckWrite>();
  for (const a of acks) {
    const k = key(a.groupId, a.userId);
    const m = current.get(k);
    const plan = planSettle(m, m?.last_seq ?? 0, 'acked_seq', a.seq, now, a);
    if (!m || !plan) continue;
    const prev = plans.get(k);
    plans.set(k, {
      was: prev?.was ?? m,
      w: plan.cursor,
      trail: [...(prev?.trail ?? []), ...plan.trail],
      cancel: { seq: Math.max(prev?.cancel.seq ?? 0, plan.cancelUpTo), why: plan.reason },
    });
    current.set(k, afterWrite(m, plan.cursor));
  }
  return plans;
}

const writeAcksSql = prepared('qun_write_acks', WRITE_ACKS);

/** Writes planned acks; answers the members written (`group:user`) and the count of texts cancelled. */
async function writeAcks(
  db: Queryable,
  writes: AckWrite[],
  now: number,
): Promise<{ written: Set<string>; cancelled: number }> {
  if (writes.length === 0) return { written: new Set(), cancelled: 0 };
  // In one order, so two flushes that share members lock them alike rather than deadlock.
  const ws = [...writes].sort((a, b) => a.was.group_id - b.was.group_id || a.was.user_id - b.was.user_id);
  const col = <K extends keyof CursorWrite>(k: K) => ws.map((x) => x.w[k]);
  const was = <K extends keyof AckCursor>(k: K) => ws.map((x) => x.was[k]);
  const trail = ws.flatMap((x) => x.trail);
  const tcol = <K extends keyof TrailEntry>(k: K) => trail.map((t) => t[k]);
  const r = (
    await db.query(
      writeAcksSql([
        was('group_id'),
        was('user_id'),
        col('acked_seq'),
        col('fetched_seq'),
        col('routed_seq'),
        col('inbox_upto'),
        col('reminder_due_at'),
        col('escalate_at'),
        col('updated_at'),
        was('acked_seq'),
        was('fetched_seq'),
        was('shown_seq'),
        was('inbox_upto'),
        was('reminder_due_at'),
        was('escalate_at'),
        tcol('groupId'),
        tcol('userId'),
        tcol('seqFrom'),
        tcol('seqTo'),
        tcol('rung'),
        tcol('outcome'),
        tcol('reason'),
        tcol('at'),
        now,
        was('group_id'),
        was('user_id'),
        ws.map((x) => x.cancel.seq),
        ws.map((x) => x.cancel.why),
      ]),
    )
  ).rows[0] as { done: [number, number][] | null; cancelled: number };
  return {
    written: new Set((r.done ?? []).map(([g, u]) => `${g}:${u}`)),
    cancelled: Number(r.cancelled),
  };
}
