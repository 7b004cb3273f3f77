// Presence entries on SQLite: a small table keyed by member, node and kind, so that a restart finds
// who was live or web-online when the process stopped; and the readiness probe.
import fs from 'node:fs';
import type { Database } from 'better-sqlite3';
import type { PresenceEntry, PresenceStore } from '../store.ts';

const COLUMNS = 'user_id AS userId, node, kind, expires_at AS expiresAt';

export function sqlitePresence(db: Database): PresenceStore {
  const upsert = db.prepare(
    `INSERT INTO presence (user_id, node, kind, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, node, kind) DO UPDATE SET expires_at = excluded.expires_at`,
  );
  const del = db.prepare('DELETE FROM presence WHERE user_id = ? AND node = ? AND kind = ?');
  const write = db.transaction(
    (put: PresenceEntry[], drop: Pick<PresenceEntry, 'userId' | 'node' | 'kind'>[]) => {
      for (const d of drop) del.run(d.userId, d.node, d.kind);
      for (const p of put) upsert.run(p.userId, p.node, p.kind, p.expiresAt);
    },
  );
  const restart = db.transaction((node: string, until: number) => {
    const moved = db
      .prepare(
        `INSERT INTO presence (user_id, node, kind, expires_at)
         SELECT user_id, node, 'reconnecting', ? FROM presence WHERE node = ? AND kind = 'live'
         ON CONFLICT (user_id, node, kind) DO UPDATE SET expires_at = excluded.expires_at`,
      )
      .run(until, node).changes;
    db.prepare("DELETE FROM presence WHERE node = ? AND kind = 'live'").run(node);
    return moved;
  });
  return {
    async write(put, drop) {
      if (put.length > 0 || drop.length > 0) write(put, drop);
    },
    async active(now, userIds) {
      if (userIds === undefined)
        return db
          .prepare<[number], PresenceEntry>(`SELECT ${COLUMNS} FROM presence WHERE expires_at > ?`)
          .all(now);
      if (userIds.length === 0) return [];
      return db
        .prepare<[number, string], PresenceEntry>(
          `SELECT ${COLUMNS} FROM presence WHERE expires_at > ? AND user_id IN (SELECT value FROM json_each(?))`,
        )
        .all(now, JSON.stringify(userIds));
    },
    async refresh(node, expiresAt) {
      db.prepare("UPDATE presence SET expires_at = ? WHERE node = ? AND kind = 'live'").run(expiresAt, node);
    },
    async restart(node, until) {
      return restart(node, until);
    },
    async sweep(before) {
      return db.prepare('DELETE FROM presence WHERE expires_at < ?').run(before).changes;
    },
  };
}

/**
 * Below this much free space the SQLite store reports itself not ready. A probe write alone is not
 * enough: once the WAL is started over a one-row write fits in the file's old space while a message,
 * whose rows need the database file to grow, is refused with ENOSPC.
 */
export const MIN_FREE_BYTES = 1024 * 1024;

/** Readiness: one tiny write, so a read-only file system shows up at once, and the free space left. */
export function sqliteProbe(db: Database, dir: string): (now: number) => Promise<void> {
  const stmt = db.prepare(
    'INSERT INTO readiness_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
  );
  return async (now) => {
    stmt.run(now);
    const fsStat = fs.statfsSync(dir);
    const free = fsStat.bavail * fsStat.bsize;
    if (free < MIN_FREE_BYTES) throw new Error(`the disk holding ${dir} has ${free} bytes free`);
  };
}
