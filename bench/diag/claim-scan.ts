// What one SMS claim's read costs against a queue table that holds history: SENT texts already sent (to
// 200 numbers) and QUEUED waiting, on a migrated SQLite file and, when PostgreSQL is installed, a
// throwaway PostgreSQL database; each with this release's indexes and with migration 14 / 8's partial
// indexes dropped (the schema before them).
//
//   node bench/diag/claim-scan.ts [--sent 200000] [--queued 1000]
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SQL as PG_SQL } from '../../src/store/postgres/pg-outbound.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { CLAIM_DUE_TEXTS } from '../../src/store/sqlite/sqlite-outbound.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { freshDatabase, postgresInstalled, stopPostgres } from '../../test/helpers/postgres.ts';
import { tempDir } from '../../test/helpers/server.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SENT = arg('--sent', 200_000);
const QUEUED = arg('--queued', 1_000);
const CLAIMS = 50;
const fill = `INSERT INTO outbound_sms (kind, to_phone, from_addr, text, state, created_at, updated_at, not_before, gateway)
  SELECT 'reply', '+86138' || substr('0000000' || (x % 200), -8, 8), '10658', 't',
    CASE WHEN x > ${SENT} THEN 'queued' ELSE 'delivered' END, 0, 0, 0, 'sim'
  FROM series`;
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function sqlite(): Promise<void> {
  const file = path.join(tempDir(), 'qun.db');
  await (await openSqliteStore(file, { gateway: 'sim' })).close();
  const db = new Database(file);
  db.exec(`CREATE TEMP TABLE series (x INTEGER PRIMARY KEY);
    WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < ${SENT + QUEUED})
    INSERT INTO series SELECT x FROM s;`);
  db.exec(fill);
  const run = (label: string) => {
    const st = db.prepare(CLAIM_DUE_TEXTS);
    const took: number[] = [];
    for (let i = 0; i < CLAIMS; i++) {
      const t = performance.now();
      st.all({ now: Date.now(), holder: 'n1', limit: 5 });
      took.push(performance.now() - t);
    }
    console.log(`SQLite, ${label}: ${median(took).toFixed(3)} ms a claim (median of ${CLAIMS})`);
  };
  run('this release');
  db.exec(
    'DROP INDEX outbound_queued; DROP INDEX outbound_queued_by_phone; DROP INDEX outbound_submitting_by_phone',
  );
  run('without migration 14');
  db.close();
}

async function postgres(): Promise<void> {
  const url = await freshDatabase();
  await (await openPostgresStore(url, { gateway: 'sim' })).close();
  const c = new pg.Client(url);
  await c.connect();
  try {
    await c.query(`CREATE TEMP TABLE series AS SELECT generate_series(1, ${SENT + QUEUED}) AS x`);
    await c.query(fill.replace("substr('0000000' || (x % 200), -8, 8)", "lpad((x % 200)::text, 8, '0')"));
    await c.query('ANALYZE outbound_sms');
    // The claim's own read (pg-outbound.ts, pickHeads) without its row locks: EXPLAIN ANALYZE of a read.
    const heads = PG_SQL.pickHeads.replace(/\s+FOR UPDATE[\s\S]*$/, '');
    if (heads === PG_SQL.pickHeads)
      throw new Error('pickHeads no longer ends in FOR UPDATE: update this script');
    const run = async (label: string) => {
      const took: number[] = [];
      for (let i = 0; i < CLAIMS; i++) {
        const r = await c.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${heads}`, [Date.now(), 5, 'n1']);
        took.push(Number(r.rows[0]['QUERY PLAN'][0]['Execution Time']));
      }
      console.log(
        `PostgreSQL, ${label}: ${median(took).toFixed(3)} ms a claim (server execution, median of ${CLAIMS})`,
      );
    };
    await run('this release');
    await c.query(
      'DROP INDEX outbound_queued; DROP INDEX outbound_queued_by_phone; DROP INDEX outbound_submitting_by_phone',
    );
    await run('without migration 8');
  } finally {
    await c.end();
    await stopPostgres();
  }
}

console.log(`${SENT.toLocaleString('en-US')} texts sent, ${QUEUED.toLocaleString('en-US')} queued`);
await sqlite();
if (postgresInstalled('claim-scan')) await postgres();
