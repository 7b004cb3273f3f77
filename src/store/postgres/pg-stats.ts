// Dashboard figures on PostgreSQL: the SQLite engine's statements with numbered parameters and counts
// turned back into numbers (PostgreSQL answers bigint and numeric as strings).
import type { StatsStore } from '../store.ts';
import type { Db } from './pg-db.ts';

const SQL = {
  funnel: `SELECT (at / $1) * $1 AS bucket, rung, outcome, SUM(seq_to - seq_from) AS n FROM trail
    WHERE at >= $2 AND ($3::bigint IS NULL OR group_id = $3) GROUP BY 1, 2, 3 ORDER BY 1`,
  texts: `SELECT (created_at / $1) * $1 AS bucket, state, COUNT(*) AS n FROM outbound_sms
    WHERE kind = 'group_message' AND created_at >= $2 AND ($3::bigint IS NULL OR group_id = $3) GROUP BY 1, 2 ORDER BY 1`,
  spend: `SELECT o.group_id AS "groupId", g.name AS name, COUNT(*) AS texts, COALESCE(SUM(o.segments), 0) AS segments
    FROM outbound_sms o LEFT JOIN groups g ON g.id = o.group_id
    WHERE o.created_at >= $1 AND o.state IN ('submitting', 'submitted', 'delivered') AND ($2::bigint IS NULL OR o.group_id = $2)
    GROUP BY o.group_id, g.name ORDER BY segments DESC LIMIT 200`,
  groups: `SELECT g.id, g.name, g.app_number AS "appNumber", g.group_number AS "groupNumber", g.last_seq AS "lastSeq",
    (SELECT COUNT(*) FROM memberships m WHERE m.group_id = g.id AND m.state = 'active') AS members
    FROM groups g ORDER BY g.id LIMIT 1000`,
};

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function pgStats(db: Db): StatsStore {
  return {
    async funnel(since, b, g) {
      const r = await db.query(SQL.funnel, [b, since, g]);
      return r.rows.map((x) => ({
        bucket: Number(x.bucket),
        rung: x.rung,
        outcome: x.outcome,
        n: Number(x.n),
      }));
    },
    async texts(since, b, g) {
      const r = await db.query(SQL.texts, [b, since, g]);
      return r.rows.map((x) => ({ bucket: Number(x.bucket), state: x.state, n: Number(x.n) }));
    },
    async spend(since, g) {
      const r = await db.query(SQL.spend, [since, g]);
      return r.rows.map((x) => ({
        groupId: num(x.groupId),
        name: x.name,
        texts: Number(x.texts),
        segments: Number(x.segments),
      }));
    },
    async groups() {
      const r = await db.query(SQL.groups);
      return r.rows.map((x) => ({
        id: Number(x.id),
        name: x.name,
        appNumber: x.appNumber,
        groupNumber: x.groupNumber,
        lastSeq: Number(x.lastSeq),
        members: Number(x.members),
      }));
    },
  };
}
