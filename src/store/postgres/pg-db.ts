// The PostgreSQL connection: a pool whose int8 columns come back as numbers (times are epoch
// milliseconds, ids stay far below 2^53), and one way to run a transaction.
//
// Every multi-statement transaction runs SERIALIZABLE: the SQLite engine is serializable by
// construction (one writer), and the Store's contract relies on that (an ack and a route decision
// for the same member never interleave). PostgreSQL may then abort one of two conflicting
// transactions (40001) or pick a deadlock victim (40P01); both are retried from the start, which is
// safe because a transaction's body only touches the database.
import pg from 'pg';

export type Db = pg.Pool;
export type Tx = pg.PoolClient;
/** What both a pool and a client in a transaction can do: run one statement. */
export type Queryable = Pick<pg.Pool, 'query'>;

const INT8 = 20;
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 20;

export function createPool(url: string, max: number): Db {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format);
    },
  };
  // biome-ignore lint/suspicious/noExplicitAny: pg's CustomTypesConfig overloads do not accept a plain function object
  const pool = new pg.Pool({ connectionString: url, max, types: types as any });
  // An idle client whose server went away emits 'error' on the pool; without a listener Node would
  // crash the process. The next query gets a fresh connection, and its own error if the server is down.
  pool.on('error', () => {});
  // The same for a client that is checked out (inside a transaction, between two statements) when the
  // server goes: pg emits 'error' on it, and without a listener that is an uncaught exception. The
  // statement in flight, or the next one, rejects with the error instead (storage_unavailable).
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

/**
 * `readCommitted` is for transactions whose every write is a single-row update that must queue behind
 * a row lock rather than abort: the group log's append. Under SERIALIZABLE every concurrent append to
 * one group conflicts on the group row and retries, and a busy group can starve a writer; under READ
 * COMMITTED `UPDATE groups SET last_seq = last_seq + 1 … RETURNING` waits for the lock and re-reads
 * the row, the textbook gap-free counter. A duplicate client id racing in (23505) is retried then.
 */
export async function tx<T>(
  db: Db,
  body: (c: Tx) => Promise<T>,
  opts: { readCommitted?: boolean } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const c = await db.connect();
    try {
      await c.query(opts.readCommitted ? 'BEGIN' : 'BEGIN ISOLATION LEVEL SERIALIZABLE');
      const out = await body(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      const code = (e as { code?: string }).code;
      const retryable =
        code !== undefined && (RETRYABLE.has(code) || (opts.readCommitted && code === '23505'));
      if (!retryable || attempt >= MAX_ATTEMPTS) throw e;
      // A short, growing, jittered pause lets the winner commit before the retry reads again.
      await new Promise((r) => setTimeout(r, Math.random() * attempt * 5));
    } finally {
      c.release();
    }
  }
}

/**
 * A statement the server parses and plans once per connection, then runs by name: for the hot path's
 * set-based statements, whose planning (CTEs over unnest arrays) costs as much as running a batch.
 * The name must be unique per text.
 */
export const prepared =
  (name: string, text: string) =>
  (values: unknown[]): pg.QueryConfig => ({ name, text, values });

/** Rows of one statement. */
export async function rows<R>(
  db: Queryable,
  sql: string | pg.QueryConfig,
  params: unknown[] = [],
): Promise<R[]> {
  return (typeof sql === 'string' ? await db.query(sql, params) : await db.query(sql)).rows as R[];
}

/** The first row of one statement, or undefined. */
export async function row<R>(
  db: Queryable,
  sql: string | pg.QueryConfig,
  params: unknown[] = [],
): Promise<R | undefined> {
  return (await rows<R>(db, sql, params))[0];
}

/** How many rows one statement changed. */
export async function changes(db: Queryable, sql: string, params: unknown[] = []): Promise<number> {
  return (await db.query(sql, params)).rowCount ?? 0;
}
