// Dashboard figures on SQLite: the delivery funnel from the trail, texts and segments from the outbound
// queue, per time bucket and per group. Bucket widths are cast: better-sqlite3 binds JS numbers as REAL,
// and REAL division would not round down to a bucket.
import type { Database } from 'better-sqlite3';
import type { StatsStore } from '../store.ts';

const SQL = {
  funnel: `SELECT (at / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS bucket, rung, outcome, SUM(seq_to - seq_from) AS n FROM trail
    WHERE at >= @since AND (@g IS NULL OR group_id = @g) GROUP BY 1, 2, 3 ORDER BY 1`,
  texts: `SELECT (created_at / CAST(@b AS INTEGER)) * CAST(@b AS INTEGER) AS bucket, state, COUNT(*) AS n FROM outbound_sms
    WHERE kind = 'group_message' AND created_at >= @since AND (@g IS NULL OR group_id = @g) GROUP BY 1, 2 ORDER BY 1`,
  spend: `SELECT o.group_id AS groupId, g.name AS name, COUNT(*) AS texts, COALESCE(SUM(o.segments), 0) AS segments
    FROM outbound_sms o LEFT JOIN groups g ON g.id = o.group_id
    WHERE o.created_at >= @since AND o.state IN ('submitting', 'submitted', 'delivered') AND (@g IS NULL OR o.group_id = @g)
    GROUP BY o.group_id, g.name ORDER BY segments DESC LIMIT 200`,
  groups: `SELECT g.id, g.name, g.app_number AS appNumber, g.group_number AS groupNumber, g.last_seq AS lastSeq,
    (SELECT COUNT(*) FROM memberships m WHERE m.group_id = g.id AND m.state = 'active') AS members
    FROM groups g ORDER BY g.id LIMIT 1000`,
};

export function sqliteStats(db: Database): StatsStore {
  type P = { b?: number; since: number; g: number | null };
  const funnel = db.prepare<P, { bucket: number; rung: string; outcome: string; n: number }>(SQL.funnel);
  const texts = db.prepare<P, { bucket: number; state: string; n: number }>(SQL.texts);
  const spend = db.prepare<
    P,
    { groupId: number | null; name: string | null; texts: number; segments: number }
  >(SQL.spend);
  const groups = db.prepare<[], Awaited<ReturnType<StatsStore['groups']>>[number]>(SQL.groups);
  return {
    async funnel(since, b, g) {
      return funnel.all({ b, since, g });
    },
    async texts(since, b, g) {
      return texts.all({ b, since, g });
    },
    async spend(since, g) {
      return spend.all({ since, g });
    },
    async groups() {
      return groups.all();
    },
  };
}
