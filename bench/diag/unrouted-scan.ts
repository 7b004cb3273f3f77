// The start-up scan for undecided ranges (recover(): store.delivery.unrouted()) over 1,000,000 memberships
// (1,000 groups × 1,000 members, all caught up), as the store runs it and as it ran before (through
// memberships_user, a row fetch per entry). Three rounds each; prints ms per scan and the plan.
//
//   node bench/diag/unrouted-scan.ts
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UNROUTED } from '../../src/store/sqlite/sqlite-delivery.ts';
import { closeDb, createDb, tempDir } from '../lib/seed.ts';

const BEFORE = `SELECT m.group_id AS groupId, m.user_id AS userId, max(m.routed_seq, m.acked_seq) AS fromSeq, g.last_seq AS toSeq
    FROM memberships m JOIN groups g ON g.id = m.group_id
    WHERE m.state = 'active' AND max(m.routed_seq, m.acked_seq) < g.last_seq ORDER BY m.user_id, m.group_id`;

const dir = tempDir();
const seed = await createDb(dir);
const now = Date.now();
const series = 'WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 1000)';
seed.exec(
  `${series} INSERT INTO users (id, phone, created_at) SELECT x, printf('+86138%08d', x), ${now} FROM s;`,
);
seed.exec(`${series} INSERT INTO groups (id, app_number, group_number, name, invite_policy, member_cap, last_seq, created_at)
  SELECT x, '01', printf('%06d', x), 'g', 'direct', 100000, 5, ${now} FROM s;`);
seed.exec(`INSERT INTO memberships (group_id, user_id, role, state, joined_at, routed_seq, acked_seq, updated_at)
  SELECT g.id, u.id, 'member', 'active', ${now}, 5, 5, ${now} FROM groups g CROSS JOIN users u ORDER BY g.id, u.id;`);
closeDb(seed);

const db = new Database(path.join(dir, 'qun.db'), { readonly: true });
for (const [name, sql] of Object.entries({ before: BEFORE, now: UNROUTED })) {
  const plan = db.prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all();
  const times: string[] = [];
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    db.prepare(sql).all();
    times.push(`${(performance.now() - t).toFixed(0)} ms`);
  }
  console.log(`${name}: ${times.join(', ')}  (${plan.map((p) => p.detail).join(' | ')})`);
}
db.close();
fs.rmSync(dir, { recursive: true, force: true });
