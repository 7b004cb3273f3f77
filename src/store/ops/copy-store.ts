// `qun copy-store`: copies an SQLite store into an empty PostgreSQL one, so a single-node install can
// grow into several nodes. Generic over the schema: the tables and columns are read from the two
// databases (other changes add tables), rows keep their ids, and identity sequences move past them.
import Database from 'better-sqlite3';
import type pg from 'pg';
import { createPool, tx } from '../postgres/pg-db.ts';
import { openPostgresStore } from '../postgres/pg-store.ts';
import { SQLITE_COLUMN_READS, SQLITE_ONLY_TABLES } from '../sqlite/sqlite-reminders-due.ts';
import { openSqliteStore } from '../sqlite/sqlite-store.ts';
import { ident, pgRunner, sqliteRunner } from './sql-runner.ts';

export interface CopyReport {
  tables: { table: string; rows: number }[];
}

export class CopyStoreError extends Error {}

const BATCH = 2000;

export async function copyStore(opts: {
  from: string;
  to: string;
  progress?: (line: string) => void;
}): Promise<CopyReport> {
  const say = opts.progress ?? (() => {});
  // Both ends at this release's schema first: an older SQLite file is migrated, the target created.
  await (await openSqliteStore(opts.from, { gateway: 'sim' })).close();
  await (await openPostgresStore(opts.to, { gateway: 'sim' })).close();
  const src = new Database(opts.from, { readonly: true, fileMustExist: true });
  const pool = createPool(opts.to, 2);
  try {
    const source = sqliteRunner(src);
    const target = pgRunner(pool);
    // SQLite's derived tables stay behind; a column that means more than its stored value is read as such.
    const srcTables = (await source.tables()).filter((t) => !SQLITE_ONLY_TABLES.includes(t));
    const dstTables = new Set(await target.tables());
    const missing = srcTables.filter((t) => !dstTables.has(t));
    if (missing.length > 0)
      throw new CopyStoreError(
        `the PostgreSQL schema has no table ${missing.join(', ')}: is it the same Qun release?`,
      );
    for (const t of dstTables) {
      const n = (await target.all<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(t)}`))[0]?.n ?? 0;
      if (n > 0)
        throw new CopyStoreError(
          `the target database is not empty (table ${t} has ${n} rows): copy-store only fills an empty store`,
        );
    }
    const order = await parentsFirst(pool, srcTables);
    const report: CopyReport = { tables: [] };
    // One transaction: a failure half-way leaves the target as empty as it was.
    await tx(pool, async (c) => {
      report.tables = [];
      for (const table of order) {
        const cols = await source.columns(table);
        const dstCols = new Set(await target.columns(table));
        const extra = cols.filter((col) => !dstCols.has(col));
        if (extra.length > 0)
          throw new CopyStoreError(`table ${table}: PostgreSQL has no column ${extra.join(', ')}`);
        const list = cols.map(ident).join(', ');
        const reads = cols
          .map((col) => {
            const value = SQLITE_COLUMN_READS[table]?.[col];
            return value ? `${value} AS ${ident(col)}` : ident(col);
          })
          .join(', ');
        const total = (src.prepare(`SELECT count(*) AS n FROM ${ident(table)}`).get() as { n: number }).n;
        let done = 0;
        let batch: Record<string, unknown>[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          // The rows travel as one JSON array per batch; PostgreSQL casts each field to its column type.
          await c.query(
            `INSERT INTO ${ident(table)} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${ident(table)}, $1::json)`,
            [JSON.stringify(batch)],
          );
          done += batch.length;
          batch = [];
          say(`${table}: ${done}/${total}`);
        };
        for (const r of src.prepare(`SELECT ${reads} FROM ${ident(table)}`).iterate()) {
          batch.push(r as Record<string, unknown>);
          if (batch.length >= BATCH) await flush();
        }
        await flush();
        if (total === 0) say(`${table}: 0/0`);
        await advanceIdentities(c, table);
        report.tables.push({ table, rows: done });
      }
    });
    return report;
  } finally {
    src.close();
    await pool.end();
  }
}

/** Tables ordered so that each comes after every table its foreign keys point at. */
async function parentsFirst(pool: pg.Pool, tables: string[]): Promise<string[]> {
  const edges = (
    await pool.query<{ child: string; parent: string }>(
      `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE k.contype = 'f' AND n.nspname = current_schema()`,
    )
  ).rows;
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (t: string, path: string[]) => {
    if (seen.has(t)) return;
    if (path.includes(t)) throw new CopyStoreError(`foreign keys form a cycle: ${[...path, t].join(' → ')}`);
    for (const e of edges)
      if (e.child === t && e.parent !== t && tables.includes(e.parent)) visit(e.parent, [...path, t]);
    seen.add(t);
    out.push(t);
  };
  for (const t of tables) visit(t, []);
  return out;
}

/** Identity and serial columns continue after the copied ids, so the next insert does not collide. */
async function advanceIdentities(c: pg.PoolClient, table: string): Promise<void> {
  const cols = (
    await c.query<{ col: string; seq: string }>(
      `SELECT column_name AS col, pg_get_serial_sequence(quote_ident(table_name), column_name) AS seq
       FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
      [table],
    )
  ).rows.filter((r) => r.seq !== null);
  for (const { col, seq } of cols) {
    await c.query(
      `SELECT setval($1, coalesce((SELECT max(${ident(col)}) FROM ${ident(table)}), 0) + 1, false)`,
      [seq],
    );
  }
}
