// Web Push subscriptions on PostgreSQL: the SQLite engine's statements in PostgreSQL's dialect.
import type { PushStore, PushSubscriptionRow } from '../store.ts';
import { changes, type Db, rows } from './pg-db.ts';

export function pgPush(db: Db): PushStore {
  return {
    async add(userId, endpoint, p256dh, auth, now) {
      // Update first, insert only when the endpoint is new: INSERT ... ON CONFLICT DO UPDATE alone would
      // burn an identity value on every re-subscription, and ids would drift from the SQLite engine's.
      // The ON CONFLICT still covers a concurrent first subscription of the same endpoint.
      await db.query(
        `WITH updated AS (
           UPDATE push_subscriptions SET user_id = $1, p256dh = $3, auth = $4 WHERE endpoint = $2 RETURNING id
         )
         INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at)
         SELECT $1::bigint, $2::text, $3::text, $4::text, $5::bigint WHERE NOT EXISTS (SELECT 1 FROM updated)
         ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth`,
        [userId, endpoint, p256dh, auth, now],
      );
    },
    async forUser(userId) {
      return rows<PushSubscriptionRow>(
        db,
        'SELECT id, user_id AS "userId", endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 ORDER BY id',
        [userId],
      );
    },
    async remove(endpoint) {
      await db.query('DELETE FROM push_subscriptions WHERE endpoint = $1', [endpoint]);
    },
    async removeForUser(userId, endpoint) {
      return (
        (await changes(db, 'DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2', [
          userId,
          endpoint,
        ])) > 0
      );
    },
  };
}
