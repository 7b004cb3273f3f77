// The embedded default store: one SQLite file in WAL mode with synchronous=FULL, so that an
// acknowledged message survives power loss; group commit keeps that affordable (core/commit-queue.ts).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../migrate.ts';
import { maintenance } from '../ops/maintenance.ts';
import { sqliteRunner } from '../ops/sql-runner.ts';
import { guardStore } from '../rules/input-rules.ts';
import { type LeaseOptions, leaseOf } from '../rules/lease-rules.ts';
import type { SqliteCheckpoint, Store } from '../store.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { sqliteDelivery } from './sqlite-delivery.ts';
import { sqliteGroups } from './sqlite-groups.ts';
import { sqliteLeases } from './sqlite-leases.ts';
import { sqliteMessages } from './sqlite-messages.ts';
import { sqliteOutbound } from './sqlite-outbound.ts';
import { sqlitePolicy } from './sqlite-policy.ts';
import { sqlitePresence, sqliteProbe } from './sqlite-presence.ts';
import { sqlitePush } from './sqlite-push.ts';
import { sqliteSim } from './sqlite-sim.ts';
import { sqliteStats } from './sqlite-stats.ts';
import { sqliteUsers } from './sqlite-users.ts';
import { sqliteVia } from './sqlite-via.ts';
import { AUTO_CHECKPOINT_PAGES, startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.ts';

export async function openSqliteStore(
  file: string,
  opts: { gateway: string; reminderDelayMs?: number; sqliteCheckpoint?: SqliteCheckpoint } & LeaseOptions,
): Promise<Store> {
  const lease = leaseOf(opts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  await migrate(
    {
      async currentVersion() {
        return db.pragma('user_version', { simple: true }) as number;
      },
      async apply(m) {
        db.transaction(() => {
          db.exec(m.up);
          db.pragma(`user_version = ${m.version}`);
        })();
      },
    },
    SQLITE_MIGRATIONS,
  );
  // Operator work holds its transactions across awaits: it gets a connection of its own (sql-runner.ts).
  const side = new Database(file);
  side.pragma('foreign_keys = ON');
  side.pragma('busy_timeout = 5000');
  // QUN_SQLITE_CHECKPOINT=worker moves the checkpoint off the event loop (wal-checkpointer.ts); an
  // in-memory database has no WAL (journal_mode stays "memory").
  const walFile = db.pragma('journal_mode', { simple: true }) === 'wal';
  if (walFile) for (const c of [db, side]) c.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  const checkpointer: WalCheckpointer | undefined =
    walFile && opts.sqliteCheckpoint === 'worker' ? startWalCheckpointer(file, [db, side]) : undefined;
  return guardStore({
    engine: 'sqlite',
    location: path.resolve(file),
    users: sqliteUsers(db),
    groups: sqliteGroups(db),
    messages: sqliteMessages(db),
    delivery: { ...sqliteDelivery(db, opts.reminderDelayMs ?? 600_000, lease), ...sqliteVia(db) },
    outbound: sqliteOutbound(db, opts.gateway, lease),
    sim: sqliteSim(db),
    push: sqlitePush(db),
    presence: sqlitePresence(db),
    policy: sqlitePolicy(db),
    leases: sqliteLeases(db, lease),
    probe: sqliteProbe(db, path.dirname(path.resolve(file))),
    maintenance: maintenance(sqliteRunner(side), async () => {}),
    stats: sqliteStats(db),
    async durability() {
      const sync = db.pragma('synchronous', { simple: true }) as number;
      const names = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
      return {
        synchronous: names[sync] ?? String(sync),
        journal: String(db.pragma('journal_mode', { simple: true })),
        checkpoint: checkpointer?.running() ? 'worker' : 'auto',
      };
    },
    async close() {
      await checkpointer?.stop();
      if (side.open) side.close();
      if (db.open) db.close();
    },
  });
}
