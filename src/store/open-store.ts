// Picks the store engine from the configuration: PostgreSQL when a URL is given, otherwise the embedded
// SQLite file. The PostgreSQL engine (and its driver) is only loaded when asked for.
import path from 'node:path';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { SqliteCheckpoint, Store } from './store.ts';

export async function openStore(opts: {
  databaseUrl: string | undefined;
  dataDir: string;
  gateway: string;
  reminderDelayMs: number;
  /** PostgreSQL connections (QUN_DATABASE_POOL). */
  poolSize?: number;
  /** Where the SQLite WAL checkpoint runs (QUN_SQLITE_CHECKPOINT, default auto; sqlite/wal-checkpointer.ts). */
  sqliteCheckpoint?: SqliteCheckpoint;
  /** Who this node's claims (reminders, texts in flight, singleton jobs) are leased to, and how long. */
  nodeId?: string;
  leaseMs?: number;
}): Promise<Store> {
  if (opts.databaseUrl) {
    const { openPostgresStore } = await import('./postgres/pg-store.ts');
    return openPostgresStore(opts.databaseUrl, opts);
  }
  return openSqliteStore(path.join(opts.dataDir, 'qun.db'), opts);
}
