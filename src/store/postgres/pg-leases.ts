// Named leases on PostgreSQL: one row per singleton job, taken or extended in one statement (the shared
// design is in ../rules/lease-rules.ts).
import type { Lease } from '../rules/lease-rules.ts';
import type { LeaseStore } from '../store.ts';
import { type Db, rows } from './pg-db.ts';

const SQL = {
  // Two nodes at once: the second INSERT waits for the first's row, then ON CONFLICT re-checks the WHERE
  // against it (READ COMMITTED), so exactly one of them gets a row back.
  hold: `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3::bigint)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
      WHERE leases.holder = excluded.holder OR leases.expires_at <= $4::bigint
    RETURNING holder`,
  release: 'DELETE FROM leases WHERE name = $1 AND holder = $2',
} as const;

/**
 * Runs a claim statement whose parameters are ($1 now, $2 limit, $3 this node, $4 the lease's end): the
 * shape every leased claim (reminders, escalations) takes.
 */
export function leasedClaim<T>(db: Db, sql: string, now: number, limit: number, lease: Lease): Promise<T[]> {
  return rows<T>(db, sql, [now, limit, lease.holder, now + lease.ms]);
}

export function pgLeases(db: Db, lease: Lease): LeaseStore {
  return {
    async hold(name, now, until) {
      return (await rows(db, SQL.hold, [name, lease.holder, until, now])).length === 1;
    },
    async release(name) {
      await db.query(SQL.release, [name, lease.holder]);
    },
  };
}
