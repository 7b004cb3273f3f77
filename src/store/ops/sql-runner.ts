// One small SQL surface over both engines for the operator's tools (retention, export, erasure, server
// keys, copy-store): they are rare, table-generic and portable, so each is written once with `?`
// placeholders and run here on SQLite or PostgreSQL, instead of twice in the engines' hot-path files.
import type { Database } from 'better-sqlite3';
import type pg from 'pg';

export interface SqlRunner {
  readonly engine: 'sqlite' | 'postgres';
  all<R>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Rows changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  /** One transaction; on PostgreSQL serializable and retried from the start on a conflict. */
  tx<T>(body: (r: SqlRunner) => Promise<T>): Promise<T>;
  /** The engine's n-ary maximum of SQL expressions (max() on SQLite, GREATEST() on PostgreSQL). */
  greatest(...exprs: string[]): string;
  /** The schema's tables, the migration bookkeeping left out. */
  tables(): Promise<string[]>;
  columns(table: string): Promise<string[]>;
}

const SAFE_NAME = /^[a-z_][a-z0-9_]*$/;
/** Table and column names come from the database's own catalogue; this refuses anything else. */
export function ident(name: string): string {
  if (!SAFE_NAME.test(name)) throw new Error(`unexpected table or column name ${JSON.stringify(name)}`);
  return name;
}

/**
 * SQLite: a connection of its own (not the server's), so a transaction held across awaits here never
 * interleaves with the server's statements; the file's lock orders the two, waiting up to busy_timeout.
 */
export function sqliteRunner(db: Database): SqlRunner {
  let chain: Promise<unknown> = Promise.resolve();
  let inTx = false;
  const r: SqlRunner = {
    engine: 'sqlite',
    async all<R>(sql: string, params: unknown[] = []) {
      return db.prepare(sql).all(...params) as R[];
    },
    async run(sql, params = []) {
      return db.prepare(sql).run(...params).changes;
    },
    tx<T>(body: (r: SqlRunner) => Promise<T>): Promise<T> {
      if (inTx) return body(r);
      // Transactions on this connection take turns: two overlapping BEGINs would fail.
      const next = chain.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        inTx = true;
        try {
          const out = await body(r);
          db.exec('COMMIT');
          return out;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        } finally {
          inTx = false;
        }
      });
      chain = next.catch(() => {});
      return next;
    },
    greatest: (...e) => `max(${e.join(', ')})`,
    async tables() {
      return (
        db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
          )
          .all() as { name: string }[]
      ).map((t) => t.name);
    },
    async columns(table) {
      return (
        db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(table) as { name: string }[]
      ).map((c) => c.name);
    },
  };
  return r;
}

/** `?` placeholders become `$1, $2, …` (the shared statements never put a `?` inside a literal). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function pgRunner(pool: pg.Pool, client?: pg.PoolClient): SqlRunner {
  const q = client ?? pool;
  const r: SqlRunner = {
    engine: 'postgres',
    async all<R>(sql: string, params: unknown[] = []) {
      return (await q.query(numbered(sql), params)).rows as R[];
    },
    async run(sql, params = []) {
      return (await q.query(numbered(sql), params)).rowCount ?? 0;
    },
    async tx<T>(body: (r: SqlRunner) => Promise<T>): Promise<T> {
      if (client) return body(r);
      const { tx } = await import('../postgres/pg-db.ts');
      return tx(pool, (c) => body(pgRunner(pool, c)));
    },
    greatest: (...e) => `GREATEST(${e.join(', ')})`,
    async tables() {
      return (
        await r.all<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.tables
           WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'qun_schema'
           ORDER BY table_name`,
        )
      ).map((t) => t.name);
    },
    async columns(table) {
      return (
        await r.all<{ name: string }>(
          `SELECT column_name AS name FROM information_schema.columns
           WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`,
          [table],
        )
      ).map((c) => c.name);
    },
  };
  return r;
}
