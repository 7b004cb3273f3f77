// Prepares a benchmark's SQLite database before the server starts: the schema comes from the store
// itself (openSqliteStore runs the migrations), then bulk rows go in with plain SQL in large
// transactions with synchronous=OFF — signing in 100,000 users through the simulator would take longer
// than the benchmark. The server opens the file afterwards with its own settings (WAL, synchronous=FULL).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sha256 } from '../../src/core/clock.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

export type Db = Database.Database;

export function tempDir(prefix = 'qun-bench-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Creates <dataDir>/qun.db with the current schema and returns a bulk-loading connection to it. */
export async function createDb(dataDir: string): Promise<Db> {
  const file = path.join(dataDir, 'qun.db');
  const store = await openSqliteStore(file, { gateway: 'sim' });
  await store.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  return db;
}

/** Flushes the WAL into the main file so the server starts from a compact database, and closes. */
export function closeDb(db: Db): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

export const phoneOf = (i: number) => `+86138${String(i).padStart(8, '0')}`;

/** Adds `count` users numbered from `first` (phone +86138<8 digits>); returns their ids in order. */
export function addUsers(db: Db, first: number, count: number, now = Date.now()): number[] {
  const ins = db.prepare('INSERT INTO users (phone, created_at) VALUES (?, ?) RETURNING id');
  const ids: number[] = [];
  db.transaction(() => {
    for (let i = 0; i < count; i++) ids.push((ins.get(phoneOf(first + i), now) as { id: number }).id);
  })();
  return ids;
}

/** One signed-in session per user, as the sign-in flow stores it (sha256 of a random bearer token). */
export function addSessions(db: Db, userIds: number[], now = Date.now()): string[] {
  const ins = db.prepare(
    'INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)',
  );
  const tokens: string[] = [];
  db.transaction(() => {
    for (const id of userIds) {
      const token = crypto.randomBytes(32).toString('base64url');
      ins.run(sha256(token), id, now, now + 30 * 86_400_000);
      tokens.push(token);
    }
  })();
  return tokens;
}

export function addGroup(
  db: Db,
  g: { number: string; name?: string; appNumber?: string; memberCap?: number; lastSeq?: number },
  now = Date.now(),
): number {
  const r = db
    .prepare(
      `INSERT INTO groups (app_number, group_number, name, invite_policy, member_cap, last_seq, created_at)
       VALUES (?, ?, ?, 'direct', ?, ?, ?) RETURNING id`,
    )
    .get(
      g.appNumber ?? '01',
      g.number,
      g.name ?? `bench ${g.number}`,
      g.memberCap ?? 1_000_000,
      g.lastSeq ?? 0,
      now,
    ) as {
    id: number;
  };
  return r.id;
}

/** Active members with every cursor at `seq` (the group's end when they joined). */
export function addMembers(
  db: Db,
  groupId: number,
  userIds: number[],
  opts: { role?: 'owner' | 'admin' | 'member'; seq?: number; ownerFirst?: boolean } = {},
  now = Date.now(),
): void {
  const ins = db.prepare(
    `INSERT INTO memberships (group_id, user_id, role, state, joined_at, joined_seq, acked_seq, routed_seq,
       fetched_seq, read_seq, updated_at)
     VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const seq = opts.seq ?? 0;
  db.transaction(() => {
    userIds.forEach((u, i) => {
      const role = opts.ownerFirst && i === 0 ? 'owner' : (opts.role ?? 'member');
      ins.run(groupId, u, role, now, seq, seq, seq, seq, seq, now);
    });
  })();
}

export function writePlan(dir: string, name: string, plan: unknown): string {
  const file = path.join(dir, `${name}.plan.json`);
  fs.writeFileSync(file, JSON.stringify(plan));
  return file;
}
