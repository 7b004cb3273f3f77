// Users, sign-in codes and sessions on PostgreSQL: the SQLite engine's statements, with each multi-statement
// method in one transaction so a concurrent node cannot slip between its read and its write.
import { toUser, type UserRow } from '../rows.ts';
import type { UserStore } from '../store.ts';
import { type Db, type Queryable, row, tx } from './pg-db.ts';

const MAX_CODE_ATTEMPTS = 5;

/**
 * Creates the user if the phone is new. NOT EXISTS first: a bare ON CONFLICT DO NOTHING would burn an
 * identity value on every call for a known phone, and ids would drift from the SQLite engine's.
 */
async function insertIfNew(c: Queryable, phone: string, now: number): Promise<void> {
  await c.query(
    `INSERT INTO users (phone, created_at) SELECT $1::text, $2::bigint
     WHERE NOT EXISTS (SELECT 1 FROM users WHERE phone = $1) ON CONFLICT (phone) DO NOTHING`,
    [phone, now],
  );
}

export function pgUsers(db: Db): UserStore {
  return {
    async upsertByPhone(phone, now) {
      return tx(db, async (c) => {
        await insertIfNew(c, phone, now);
        return toUser((await row<UserRow>(c, 'SELECT * FROM users WHERE phone = $1', [phone]))!);
      });
    },
    async byId(id) {
      const r = await row<UserRow>(db, 'SELECT * FROM users WHERE id = $1', [id]);
      return r && toUser(r);
    },
    async byPhone(phone) {
      const r = await row<UserRow>(db, 'SELECT * FROM users WHERE phone = $1', [phone]);
      return r && toUser(r);
    },
    async setDisplayName(id, name) {
      await db.query('UPDATE users SET display_name = $1 WHERE id = $2', [name, id]);
    },
    async setLastGroup(id, groupId) {
      await db.query('UPDATE users SET last_group_id = $1 WHERE id = $2', [groupId, id]);
    },
    async setOptOut(phone, optedOut, now) {
      return tx(db, async (c) => {
        await insertIfNew(c, phone, now);
        const r = await row<UserRow>(c, 'UPDATE users SET sms_opted_out = $1 WHERE phone = $2 RETURNING *', [
          optedOut ? 1 : 0,
          phone,
        ]);
        return toUser(r!);
      });
    },
    async addSigninCode(phone, codeHash, now, expiresAt) {
      await db.query(
        'INSERT INTO signin_codes (phone, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)',
        [phone, codeHash, now, expiresAt],
      );
    },
    async countSigninCodes(phone, since) {
      const r = await row<{ n: number }>(
        db,
        'SELECT count(*)::int AS n FROM signin_codes WHERE phone = $1 AND created_at >= $2',
        [phone, since],
      );
      return r?.n ?? 0;
    },
    async consumeSigninCode(phone, codeHash, now) {
      return tx(db, async (c) => {
        const r = await row<{ id: number; code_hash: string; attempts: number }>(
          c,
          `SELECT id, code_hash, attempts FROM signin_codes
           WHERE phone = $1 AND used_at IS NULL AND expires_at > $2 ORDER BY id DESC LIMIT 1`,
          [phone, now],
        );
        if (!r || r.attempts >= MAX_CODE_ATTEMPTS) return false;
        if (r.code_hash !== codeHash) {
          await c.query('UPDATE signin_codes SET attempts = attempts + 1 WHERE id = $1', [r.id]);
          return false;
        }
        await c.query('UPDATE signin_codes SET used_at = $1 WHERE id = $2', [now, r.id]);
        return true;
      });
    },
    async createSession(tokenHash, userId, now, expiresAt) {
      await db.query(
        'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)',
        [tokenHash, userId, now, expiresAt],
      );
    },
    async sessionUser(tokenHash, now) {
      const r = await row<UserRow>(
        db,
        `SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2`,
        [tokenHash, now],
      );
      return r && toUser(r);
    },
    async sessionExpiry(tokenHash, now) {
      const r = await row<{ expires_at: number }>(
        db,
        'SELECT expires_at FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2',
        [tokenHash, now],
      );
      return r?.expires_at;
    },
    async revokeSession(tokenHash, now) {
      const r = await row<{ user_id: number }>(
        db,
        'UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING user_id',
        [now, tokenHash],
      );
      return r?.user_id;
    },
    async revokeAllSessions(userId, now) {
      const r = await db.query(
        'UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL',
        [now, userId],
      );
      return r.rowCount ?? 0;
    },
  };
}
