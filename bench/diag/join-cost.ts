// What the SQLite store's hottest lookups cost written as joins (as they were, kept here) and as
// primary-key subqueries (the store's own statements, imported): the member check on every post, the
// session on every authenticated request, the facts read before each text's submit. With bound parameters, a join costs this build of
// SQLite (3.54.1, ENABLE_STAT4) ~10 µs more per run than a single-table statement, whatever the tables'
// sizes; with its values written into the SQL it does not (why, docs/performance.md#ingest guesses).
// Each pair is also checked to return the same rows, present and absent keys alike.
//
//   node bench/diag/join-cost.ts [--members 200] [--runs 200000]
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MEMBERSHIP_COLUMNS } from '../../src/store/rows.ts';
import { MEMBER_BY_KEY } from '../../src/store/sqlite/sqlite-groups.ts';
import { TEXT_FACTS } from '../../src/store/sqlite/sqlite-outbound.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { SESSION_USER } from '../../src/store/sqlite/sqlite-users.ts';
import { tempDir } from '../../test/helpers/server.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MEMBERS = arg('--members', 200);
const RUNS = arg('--runs', 200_000);

const PAIRS: { name: string; join: string; subquery: string; args: (i: number) => unknown[] }[] = [
  {
    name: 'member (every post)',
    join: `SELECT ${MEMBERSHIP_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.group_id = ? AND m.user_id = ?`,
    subquery: MEMBER_BY_KEY,
    args: (i) => [1, 1 + (i % (MEMBERS + 10))],
  },
  {
    name: 'sessionUser (every request)',
    join: `SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?`,
    subquery: SESSION_USER,
    args: (i) => [`t${i % (MEMBERS + 10)}`, 5],
  },
  {
    name: 'textFacts (every text)',
    join: `SELECT o.kind, o.ignore_opt_out AS ignoreOptOut, u.sms_opted_out AS optedOut, m.state AS memberState,
      o.lease_until AS leaseUntil
      FROM outbound_sms o LEFT JOIN users u ON u.phone = o.to_phone
      LEFT JOIN memberships m ON m.group_id = o.group_id AND m.user_id = o.user_id
      WHERE o.id = ? AND o.state = 'submitting' AND o.claimed_by = ?`,
    subquery: TEXT_FACTS,
    args: (i) => [1 + (i % (MEMBERS + 10)), 'n1'],
  },
];

const file = path.join(tempDir(), 'qun.db');
await (await openSqliteStore(file, { gateway: 'sim' })).close();
const db = new Database(file);
db.transaction(() => {
  db.prepare(`INSERT INTO groups (id, app_number, group_number, name, invite_policy, member_cap, created_at)
    VALUES (1, '01', '1000', 'g', 'direct', 500, 0)`).run();
  const user = db.prepare('INSERT INTO users (id, phone, created_at, sms_opted_out) VALUES (?, ?, 0, ?)');
  const member = db.prepare(`INSERT INTO memberships (group_id, user_id, role, state, updated_at)
    VALUES (1, ?, 'member', ?, 0)`);
  const session = db.prepare(
    'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, 0, 10)',
  );
  const text =
    db.prepare(`INSERT INTO outbound_sms (kind, to_phone, from_addr, text, state, created_at, updated_at,
      not_before, gateway, group_id, user_id, claimed_by)
    VALUES ('group_message', ?, '10658', 't', 'submitting', 0, 0, 0, 'sim', 1, ?, 'n1')`);
  for (let i = 1; i <= MEMBERS; i++) {
    const phone = `+86138${String(i).padStart(8, '0')}`;
    user.run(i, phone, i % 7 === 0 ? 1 : 0);
    // Every tenth user is not a member: the texts to them find no membership row.
    if (i % 10 !== 0) member.run(i, i % 9 === 0 ? 'removed' : 'active');
    session.run(`t${i}`, i);
    text.run(i % 13 === 0 ? '+19990000000' : phone, i);
  }
})();

for (const p of PAIRS) {
  const join = db.prepare(p.join);
  const sub = db.prepare(p.subquery);
  for (let i = 0; i < MEMBERS + 10; i++)
    assert.deepEqual(sub.get(...p.args(i)), join.get(...p.args(i)), p.name);
  const time = (st: Database.Statement) => {
    const t = performance.now();
    for (let i = 0; i < RUNS; i++) st.get(...p.args(i));
    return ((performance.now() - t) * 1000) / RUNS;
  };
  const took = [0, 1, 2].map(() => [time(join), time(sub)] as const);
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
  console.log(
    `${p.name}: join ${fmt(took.map((t) => t[0]))} µs, subqueries ${fmt(took.map((t) => t[1]))} µs a run (same rows)`,
  );
}
db.close();
