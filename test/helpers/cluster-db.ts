// What the nodes of a cluster wrote, read straight from PostgreSQL after a run: texts handed to the simulated
// gateway more than once for one member and message, reminders done twice, holes in a group's seqs, texts left
// in flight. The delivery checker sees what members received; this sees what the nodes did.
import type pg from 'pg';
import { type DecisionRow, seqsDecidedTwice } from './decisions.ts';

export interface ClusterDbReport {
  /** `group/seq → member` handed to the gateway more than once (sim_texts rows per outbound group text). */
  textedTwice: string[];
  /** The same reminder (member, group, range) recorded more than once in the trail. */
  remindedTwice: string[];
  /** Reminders over an empty range (everything in it already acked or fetched): a reminder of nothing. */
  remindedNothing: string[];
  /** Members with more reminder texts in a group than reminder trail rows that say `sms:`. */
  reminderTextsUnaccounted: string[];
  /** Groups whose seqs are not exactly 1..last_seq. */
  seqGaps: string[];
  /** Group texts still queued or submitting (due, never sent) after the run settled. */
  stuckTexts: number;
  /** How the stuck ones look: `state claimed_by (attempts)` × count, for the report. */
  stuckDetail: string[];
  /** Seqs whose rung was decided twice for the same member without cause (two routes, not a hand-over). */
  decidedTwice: number;
  /** The first few of them: group:user:seq and the two trail rows. */
  twiceDetail: string[];
  counts: { messages: number; texts: number; reminders: number; reminderTexts: number };
  summary: string;
}

const rowsOf = async <T>(db: pg.Pool, sql: string, params: unknown[] = []): Promise<T[]> =>
  (await db.query(sql, params)).rows as T[];

export async function checkClusterDb(db: pg.Pool): Promise<ClusterDbReport> {
  const textedTwice = (
    await rowsOf<{ k: string }>(
      db,
      `SELECT o.group_id || '/' || o.seq || ' -> ' || o.to_phone || ' x' || count(*) AS k
       FROM sim_texts s JOIN outbound_sms o ON o.id = s.outbound_id
       WHERE o.kind = 'group_message' GROUP BY o.group_id, o.seq, o.to_phone HAVING count(*) > 1`,
    )
  ).map((r) => r.k);
  const remindedTwice = (
    await rowsOf<{ k: string }>(
      db,
      `SELECT group_id || ':' || user_id || ' (' || seq_from || ',' || seq_to || '] x' || count(*) AS k
       FROM trail WHERE rung = 'reminder' AND outcome = 'reminded'
       GROUP BY group_id, user_id, seq_from, seq_to HAVING count(*) > 1`,
    )
  ).map((r) => r.k);
  const remindedNothing = (
    await rowsOf<{ k: string }>(
      db,
      `SELECT group_id || ':' || user_id || ' (' || seq_from || ',' || seq_to || '] x' || count(*) || ': ' || min(reason) AS k
       FROM trail WHERE rung = 'reminder' AND seq_from >= seq_to GROUP BY group_id, user_id, seq_from, seq_to`,
    )
  ).map((r) => r.k);
  const reminderTextsUnaccounted = (
    await rowsOf<{ k: string }>(
      db,
      `WITH texts AS (
         SELECT o.group_id, o.user_id, count(*) AS n, string_agg(o.created_at::text, ',' ORDER BY o.id) AS at
         FROM sim_texts s JOIN outbound_sms o ON o.id = s.outbound_id
         WHERE o.kind = 'reminder' GROUP BY o.group_id, o.user_id),
       trails AS (
         SELECT group_id, user_id, count(*) AS n, string_agg(at::text, ',' ORDER BY id) AS at FROM trail
         WHERE rung = 'reminder' AND outcome = 'reminded' AND reason LIKE 'sms:%' GROUP BY group_id, user_id)
       SELECT texts.group_id || ':' || texts.user_id || ' ' || texts.n || ' texts (queued at ' || texts.at || ') for ' ||
         coalesce(trails.n, 0) || ' reminders (at ' || coalesce(trails.at, '') || ')' AS k
       FROM texts LEFT JOIN trails USING (group_id, user_id) WHERE texts.n > coalesce(trails.n, 0)`,
    )
  ).map((r) => r.k);
  const seqGaps = (
    await rowsOf<{ k: string }>(
      db,
      `SELECT 'g' || g.id || ': last_seq ' || g.last_seq || ', ' || count(m.seq) || ' rows, max ' || coalesce(max(m.seq), 0) AS k
       FROM groups g LEFT JOIN messages m ON m.group_id = g.id GROUP BY g.id, g.last_seq
       HAVING count(m.seq) <> g.last_seq OR coalesce(max(m.seq), 0) <> g.last_seq OR coalesce(min(m.seq), 1) <> 1`,
    )
  ).map((r) => r.k);
  const stuck = await rowsOf<{ n: string }>(
    db,
    `SELECT count(*) AS n FROM outbound_sms WHERE state IN ('queued', 'submitting') AND kind = 'group_message'`,
  );
  const stuckDetail = (
    await rowsOf<{ k: string }>(
      db,
      `SELECT state || ' by ' || coalesce(claimed_by, '-') || ', ' || attempts || ' attempts, lease ' ||
         CASE WHEN lease_until IS NULL THEN 'none' WHEN lease_until < $1::bigint THEN 'expired' ELSE 'held' END ||
         ', not_before ' || CASE WHEN not_before > $1::bigint THEN 'future' ELSE 'past' END || ' x' || count(*) AS k
       FROM outbound_sms WHERE state IN ('queued', 'submitting') AND kind = 'group_message'
       GROUP BY state, claimed_by, attempts, lease_until IS NULL, lease_until < $1::bigint, not_before > $1::bigint`,
      [Date.now()],
    )
  ).map((r) => r.k);
  // Every decision row (rung sms/sms_queued, inbox/waiting) covers (seq_from, seq_to]; a seq in two is decided
  // twice, unless the second is a hand-over or an escalation (test/helpers/decisions.ts).
  const decisions = await rowsOf<DecisionRow>(
    db,
    `SELECT group_id AS g, user_id AS u, seq_from::int AS f, seq_to::int AS t, rung, reason,
       rung || '/' || outcome || ' (' || reason || ') at ' || at AS what FROM trail
     WHERE (rung = 'sms' AND outcome = 'sms_queued') OR (rung = 'inbox' AND outcome = 'waiting') ORDER BY id`,
  );
  const { count: decidedTwice, detail: twiceDetail, onPurpose } = seqsDecidedTwice(decisions);
  const [counts] = await rowsOf<{ messages: string; texts: string; reminders: string; rtexts: string }>(
    db,
    `SELECT (SELECT count(*) FROM messages) AS messages,
       (SELECT count(*) FROM sim_texts s JOIN outbound_sms o ON o.id = s.outbound_id WHERE o.kind = 'group_message') AS texts,
       (SELECT count(*) FROM trail WHERE rung = 'reminder' AND outcome = 'reminded') AS reminders,
       (SELECT count(*) FROM sim_texts s JOIN outbound_sms o ON o.id = s.outbound_id WHERE o.kind = 'reminder') AS rtexts`,
  );
  const c = {
    messages: Number(counts!.messages),
    texts: Number(counts!.texts),
    reminders: Number(counts!.reminders),
    reminderTexts: Number(counts!.rtexts),
  };
  const stuckTexts = Number(stuck[0]!.n);
  return {
    textedTwice,
    remindedTwice,
    remindedNothing,
    reminderTextsUnaccounted,
    seqGaps,
    stuckTexts,
    stuckDetail,
    decidedTwice,
    twiceDetail,
    counts: c,
    summary:
      `database: ${c.messages} messages, ${c.texts} group texts (${textedTwice.length} texted twice), ` +
      `${c.reminders} reminders (${remindedTwice.length} twice, ${remindedNothing.length} of nothing; ${c.reminderTexts} reminder texts, ` +
      `${reminderTextsUnaccounted.length} members with unaccounted ones), ${seqGaps.length} groups with seq gaps, ` +
      `${stuckTexts} texts stuck${stuckDetail.length ? ` (${stuckDetail.join('; ')})` : ''}, ${decidedTwice} seqs decided twice (${onPurpose} re-decided on purpose: hand-over or escalation)`,
  };
}

/**
 * For a member texted out of seq order: their texts around the two seqs, in queue order, with what each
 * went through (who claimed it, attempts, the last error) and when it reached the phone; and the trail's
 * decisions over the same seqs. Printed with a failing run, to tell a late route from a reordered queue.
 */
export async function textTrace(db: pg.Pool, phone: string, lo: number, hi: number): Promise<string> {
  const texts = await rowsOf<Record<string, unknown>>(
    db,
    `SELECT o.id, o.group_id AS g, o.seq, o.state, o.attempts, o.claimed_by, o.error, o.created_at, s.at AS phone_at
     FROM outbound_sms o LEFT JOIN sim_texts s ON s.outbound_id = o.id
     WHERE o.to_phone = $1 AND o.kind = 'group_message' AND o.seq BETWEEN $2 AND $3 ORDER BY o.id`,
    [phone, lo, hi],
  );
  const trail = await rowsOf<Record<string, unknown>>(
    db,
    `SELECT t.id, t.seq_from, t.seq_to, t.rung, t.outcome, t.reason, t.at FROM trail t JOIN users u ON u.id = t.user_id
     WHERE u.phone = $1 AND t.seq_to >= $2 AND t.seq_from < $3 ORDER BY t.id`,
    [phone, lo, hi],
  );
  const line = (r: Record<string, unknown>) => `    ${JSON.stringify(r)}`;
  return [`  ${phone} texts ${lo}..${hi}:`, ...texts.map(line), '  trail:', ...trail.map(line)].join('\n');
}
