// Users, sign-in codes and sessions on SQLite.
import type { Database } from 'better-sqlite3';
import { toUser, type UserRow } from '../rows.ts';
import type { UserStore } from '../store.ts';

const MAX_CODE_ATTEMPTS = 5;

/**
 * The user of a live session, read on every authenticated request: a subquery, not a join (a join with
 * bound parameters costs SQLite ~10 µs more per run; bench/diag/join-cost.ts).
 */
export const SESSION_USER = `SELECT * FROM users WHERE id =
  (SELECT user_id FROM sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?)`;

export function sqliteUsers(db: Database): UserStore {
  const insert = db.prepare(
    'INSERT INTO users (phone, created_at) VALUES (?, ?) ON CONFLICT (phone) DO NOTHING',
  );
  const byPhone = db.prepare<[string], UserRow>('SELECT * FROM users WHERE phone = ?');
  const byId = db.prepare<[number], UserRow>('SELECT * FROM users WHERE id = ?');
  const upsert = db.transaction((phone: string, now: number) => {
    insert.run(phone, now);
    return toUser(byPhone.get(phone)!);
  });
  const optOut = db.prepare('UPDATE users SET sms_opted_out = ? WHERE phone = ?');
  const setOptOut = db.transaction((phone: string, optedOut: boolean, now: number) => {
    insert.run(phone, now);
    optOut.run(optedOut ? 1 : 0, phone);
    return toUser(byPhone.get(phone)!);
  });
  const newestCode = db.prepare<[string, number], { id: number; code_hash: string; attempts: number }>(
    `SELECT id, code_hash, attempts FROM signin_codes
     WHERE phone = ? AND used_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1`,
  );
  const consume = db.transaction((phone: string, codeHash: string, now: number) => {
    const row = newestCode.get(phone, now);
    if (!row || row.attempts >= MAX_CODE_ATTEMPTS) return false;
    if (row.code_hash !== codeHash) {
      db.prepare('UPDATE signin_codes SET attempts = attempts + 1 WHERE id = ?').run(row.id);
      return false;
    }
    db.prepare('UPDATE signin_codes SET used_at = ? WHERE id = ?').run(now, row.id);
    return true;
  });
  const sessionUser = db.prepare<[string, number], UserRow>(SESSION_USER);
  const revoke = db.prepare<[number, string], { user_id: number }>(
    'UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL RETURNING user_id',
  );

  return {
    async upsertByPhone(phone, now) {
      return upsert(phone, now);
    },
    async byId(id) {
      const r = byId.get(id);
      return r && toUser(r);
    },
    async byPhone(phone) {
      const r = byPhone.get(phone);
      return r && toUser(r);
    },
    async setDisplayName(id, name) {
      db.prepare('UPDATE users SET display_name = ? WHERE id = ?').run(name, id);
    },
    async setLastGroup(id, groupId) {
      db.prepare('UPDATE users SET last_group_id = ? WHERE id = ?').run(groupId, id);
    },
    async setOptOut(phone, optedOut, now) {
      return setOptOut(phone, optedOut, now);
    },
    async addSigninCode(phone, codeHash, now, expiresAt) {
      db.prepare(
        'INSERT INTO signin_codes (phone, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?)',
      ).run(phone, codeHash, now, expiresAt);
    },
    async countSigninCodes(phone, since) {
      const r = db
        .prepare<[string, number], { n: number }>(
          'SELECT count(*) AS n FROM signin_codes WHERE phone = ? AND created_at >= ?',
        )
        .get(phone, since);
      return r?.n ?? 0;
    },
    async consumeSigninCode(phone, codeHash, now) {
      return consume(phone, codeHash, now);
    },
    async createSession(tokenHash, userId, now, expiresAt) {
      db.prepare(
        'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
      ).run(tokenHash, userId, now, expiresAt);
    },
    async sessionUser(tokenHash, now) {
      const r = sessionUser.get(tokenHash, now);
      return r && toUser(r);
    },
    async sessionExpiry(tokenHash, now) {
      return db
        .prepare<[string, number], { expires_at: number }>(
          'SELECT expires_at FROM sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?',
        )
        .get(tokenHash, now)?.expires_at;
    },
    async revokeSession(tokenHash, now) {
      return revoke.get(now, tokenHash)?.user_id;
    },
    async revokeAllSessions(userId, now) {
      return db
        .prepare('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL')
        .run(now, userId).changes;
    },
  };
}
