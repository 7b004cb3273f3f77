// Presence entries on PostgreSQL: the same table as SQLite's, shared by every node of a cluster, so
// that the others (or the node itself after a restart) find who was live when a node stopped.
import type { PresenceEntry, PresenceStore } from '../store.ts';
import { changes, type Db, rows, tx } from './pg-db.ts';

const COLUMNS = 'user_id AS "userId", node, kind, expires_at AS "expiresAt"';

export function pgPresence(db: Db): PresenceStore {
  return {
    async write(put, drop) {
      if (put.length === 0 && drop.length === 0) return;
      // Single-row writes that must not abort each other: READ COMMITTED, last writer wins per entry.
      await tx(
        db,
        async (c) => {
          if (drop.length > 0)
            await c.query(
              `DELETE FROM presence p USING unnest($1::bigint[], $2::text[], $3::text[]) AS d(user_id, node, kind)
               WHERE p.user_id = d.user_id AND p.node = d.node AND p.kind = d.kind`,
              [drop.map((d) => d.userId), drop.map((d) => d.node), drop.map((d) => d.kind)],
            );
          if (put.length > 0) {
            // One row per key: a later entry in the same batch wins (ON CONFLICT may not touch a row twice).
            const last = new Map<string, PresenceEntry>();
            for (const p of put) last.set(`${p.userId}\u0000${p.node}\u0000${p.kind}`, p);
            const list = [...last.values()];
            await c.query(
              `INSERT INTO presence (user_id, node, kind, expires_at)
               SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])
               ON CONFLICT (user_id, node, kind) DO UPDATE SET expires_at = excluded.expires_at`,
              [
                list.map((p) => p.userId),
                list.map((p) => p.node),
                list.map((p) => p.kind),
                list.map((p) => p.expiresAt),
              ],
            );
          }
        },
        { readCommitted: true },
      );
    },
    async active(now, userIds) {
      if (userIds === undefined)
        return rows<PresenceEntry>(db, `SELECT ${COLUMNS} FROM presence WHERE expires_at > $1`, [now]);
      if (userIds.length === 0) return [];
      return rows<PresenceEntry>(
        db,
        `SELECT ${COLUMNS} FROM presence WHERE expires_at > $1 AND user_id = ANY($2::bigint[])`,
        [now, userIds],
      );
    },
    async refresh(node, expiresAt) {
      await changes(db, "UPDATE presence SET expires_at = $1 WHERE node = $2 AND kind = 'live'", [
        expiresAt,
        node,
      ]);
    },
    async restart(node, until) {
      return tx(
        db,
        async (c) => {
          const moved = await c.query(
            `INSERT INTO presence (user_id, node, kind, expires_at)
             SELECT user_id, node, 'reconnecting', $1 FROM presence WHERE node = $2 AND kind = 'live'
             ON CONFLICT (user_id, node, kind) DO UPDATE SET expires_at = excluded.expires_at`,
            [until, node],
          );
          await c.query("DELETE FROM presence WHERE node = $1 AND kind = 'live'", [node]);
          return moved.rowCount ?? 0;
        },
        { readCommitted: true },
      );
    },
    async sweep(before) {
      return changes(db, 'DELETE FROM presence WHERE expires_at < $1', [before]);
    },
  };
}

/** Readiness: one tiny write, so an unreachable or read-only database shows up at once. */
export function pgProbe(db: Db): (now: number) => Promise<void> {
  return async (now) => {
    await db.query(
      'INSERT INTO readiness_probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at',
      [now],
    );
  };
}
