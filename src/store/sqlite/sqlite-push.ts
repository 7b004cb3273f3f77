// Web Push subscriptions on SQLite.
import type { Database } from 'better-sqlite3';
import type { PushStore, PushSubscriptionRow } from '../store.ts';

export function sqlitePush(db: Database): PushStore {
  return {
    async add(userId, endpoint, p256dh, auth, now) {
      db.prepare(
        `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth`,
      ).run(userId, endpoint, p256dh, auth, now);
    },
    async forUser(userId) {
      return db
        .prepare<[number], PushSubscriptionRow>(
          'SELECT id, user_id AS userId, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = ? ORDER BY id',
        )
        .all(userId);
    },
    async remove(endpoint) {
      db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?').run(endpoint);
    },
    async removeForUser(userId, endpoint) {
      return (
        db.prepare('DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint = ?').run(userId, endpoint)
          .changes > 0
      );
    },
  };
}
