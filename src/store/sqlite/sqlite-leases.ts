// Named leases on SQLite: one row per singleton job (the shared design is in ../rules/lease-rules.ts). One
// process holds the file, so a lease here only matters to a node that restarted under another id.
import type { Database } from 'better-sqlite3';
import type { Lease } from '../rules/lease-rules.ts';
import type { LeaseStore } from '../store.ts';

export function sqliteLeases(db: Database, lease: Lease): LeaseStore {
  const hold = db.prepare<[string, string, number, number], { holder: string }>(
    `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
     RETURNING holder`,
  );
  const release = db.prepare('DELETE FROM leases WHERE name = ? AND holder = ?');
  return {
    async hold(name, now, until) {
      return hold.get(name, lease.holder, until, now) !== undefined;
    },
    async release(name) {
      release.run(name, lease.holder);
    },
  };
}
