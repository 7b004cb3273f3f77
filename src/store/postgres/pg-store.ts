// The PostgreSQL store: for operators who already run PostgreSQL, want the log on a server with its
// own backups and replicas, or run more than one Qun node against one database. Same contract as the
// SQLite engine (test/contract/store.contract.ts runs against both).
import { migrate } from '../migrate.ts';
import { maintenance } from '../ops/maintenance.ts';
import { pgRunner } from '../ops/sql-runner.ts';
import { guardStore } from '../rules/input-rules.ts';
import { type LeaseOptions, leaseOf } from '../rules/lease-rules.ts';
import type { Store } from '../store.ts';
import { POSTGRES_MIGRATIONS } from './migrations.ts';
import { createPool, row, tx } from './pg-db.ts';
import { pgDelivery } from './pg-delivery.ts';
import { pgGroups } from './pg-groups.ts';
import { pgLeases } from './pg-leases.ts';
import { pgMessages } from './pg-messages.ts';
import { pgOutbound } from './pg-outbound.ts';
import { pgPolicy } from './pg-policy.ts';
import { pgPresence, pgProbe } from './pg-presence.ts';
import { pgPush } from './pg-push.ts';
import { pgSim } from './pg-sim.ts';
import { pgStats } from './pg-stats.ts';
import { pgUsers } from './pg-users.ts';
import { pgVia } from './pg-via.ts';

/** Any key: one number that every Qun node agrees on, held while the schema is migrated. */
const MIGRATION_LOCK = 0x7175_6e00;

export async function openPostgresStore(
  url: string,
  opts: { gateway: string; reminderDelayMs?: number; poolSize?: number } & LeaseOptions,
): Promise<Store> {
  const lease = leaseOf(opts);
  const db = createPool(withDurableCommits(url), opts.poolSize ?? 10);
  try {
    await migrateUnderLock(db);
  } catch (e) {
    await db.end();
    throw e;
  }
  return guardStore({
    engine: 'postgres',
    location: redact(url),
    users: pgUsers(db),
    groups: pgGroups(db),
    messages: pgMessages(db),
    delivery: { ...pgDelivery(db, opts.reminderDelayMs ?? 600_000, lease), ...pgVia(db) },
    outbound: pgOutbound(db, opts.gateway, lease),
    sim: pgSim(db),
    stats: pgStats(db),
    push: pgPush(db),
    presence: pgPresence(db),
    policy: pgPolicy(db),
    leases: pgLeases(db, lease),
    probe: pgProbe(db),
    maintenance: maintenance(pgRunner(db), async () => {}),
    async durability() {
      const r = await row<{ sync: string; fsync: string }>(
        db,
        "SELECT current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync",
      );
      return { synchronous: r?.fsync === 'on' ? r.sync : `${r?.sync} (fsync off)`, journal: 'wal' };
    },
    async close() {
      await db.end();
    },
  });
}

/**
 * Commits are durable before they are acknowledged whatever the server's default: an operator who set
 * synchronous_commit=off for other databases does not silently lose Qun messages.
 */
function withDurableCommits(url: string): string {
  const u = new URL(url);
  const options = u.searchParams.get('options');
  u.searchParams.set('options', `${options ? `${options} ` : ''}-c synchronous_commit=on`);
  return u.toString();
}

/** Two nodes starting at once must not both run the same step: the first holds a lock, the other waits. */
async function migrateUnderLock(db: ReturnType<typeof createPool>): Promise<void> {
  const c = await db.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS qun_schema (version INTEGER NOT NULL)');
    await migrate(
      {
        async currentVersion() {
          return (await c.query('SELECT max(version) AS v FROM qun_schema')).rows[0]?.v ?? 0;
        },
        async apply(m) {
          await tx(db, async (t) => {
            await t.query(m.up);
            await t.query('INSERT INTO qun_schema (version) VALUES ($1)', [m.version]);
          });
        },
      },
      POSTGRES_MIGRATIONS,
    );
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    c.release();
  }
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.searchParams.delete('password');
    return u.toString();
  } catch {
    return 'postgres (unparsable URL)';
  }
}
