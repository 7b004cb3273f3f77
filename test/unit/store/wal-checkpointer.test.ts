// Without a worker the store's own commits checkpoint the WAL, at AUTO_CHECKPOINT_PAGES. With
// QUN_SQLITE_CHECKPOINT=worker the checkpoint runs in a worker thread: the store's connections never
// checkpoint in their commits, the worker copies the WAL so the next write starts it over, and when the worker is gone the
// connections checkpoint on their own again. Real files, real threads.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { newMessageId } from '../../../src/core/clock.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { AUTO_CHECKPOINT_PAGES, startWalCheckpointer } from '../../../src/store/sqlite/wal-checkpointer.ts';
import { groupWithMembers } from '../../contract/store-fixtures.ts';
import { eventually, tempDir } from '../../helpers/server.ts';

function walDb(): { file: string; db: Database.Database } {
  const file = path.join(tempDir('qun-wal-'), 'wal.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  return { file, db };
}

/** Writes ~`pages` 4 KiB pages to the WAL, one commit of many rows. */
function write(db: Database.Database, pages: number): void {
  const ins = db.prepare('INSERT INTO t (v) VALUES (randomblob(3500))');
  db.transaction(() => {
    for (let i = 0; i < pages; i++) ins.run();
  })();
}

/** Frames in the WAL now, as a checkpoint that copies nothing reports them (a new log starts at 0). */
function walFrames(db: Database.Database): number {
  const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
  return r!.log;
}

test('the connections leave checkpoints below 4,000 pages to the worker, which copies the WAL so the next write starts it over', async () => {
  const { file, db } = walDb();
  const cp = startWalCheckpointer(file, [db], { everyMs: 10 });
  try {
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 4000);
    write(db, 3000); // three times SQLite's automatic threshold, under the writer's own
    await eventually(
      () => (cp.framesCheckpointed() >= 3000 ? true : undefined),
      10_000,
      'the worker to copy the WAL',
    );
    write(db, 1);
    // The worker copied every frame, so this write began the WAL from its start.
    assert.ok(walFrames(db) < 10, `frames after the restart: ${walFrames(db)}`);
  } finally {
    await cp.stop();
    db.close();
  }
});

test('without a checkpoint anywhere the WAL keeps every frame (what the test above tells apart)', () => {
  const { db } = walDb();
  db.pragma('wal_autocheckpoint = 0');
  write(db, 3000);
  write(db, 1);
  assert.ok(walFrames(db) > 3000);
  db.close();
});

test('when the worker dies the connections go back to SQLite’s automatic checkpoint', async () => {
  const { file, db } = walDb();
  const other = new Database(file);
  const warned = new Promise<string>((resolve) => process.once('warning', (w) => resolve(w.message)));
  const cp = startWalCheckpointer(file, [db, other]);
  assert.equal(other.pragma('wal_autocheckpoint', { simple: true }), 4000);
  // A thread can die of many things; terminate() stands for all of them.
  await cp.worker.terminate();
  await eventually(() => (cp.running() ? undefined : true), 5_000, 'the fall-back');
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), AUTO_CHECKPOINT_PAGES);
  assert.equal(other.pragma('wal_autocheckpoint', { simple: true }), AUTO_CHECKPOINT_PAGES);
  assert.match(await warned, /WAL checkpointer stopped/);
  write(db, AUTO_CHECKPOINT_PAGES + 500); // now the commit checkpoints itself
  write(db, 1);
  assert.ok(walFrames(db) < 10);
  await cp.stop(); // stopping a dead worker is not an error
  other.close();
  db.close();
});

test('closing a store stops its worker first, so the store’s last connection removes the WAL', async () => {
  const file = path.join(tempDir('qun-wal-store-'), 'qun.db');
  const store = await openSqliteStore(file, { gateway: 'sim', sqliteCheckpoint: 'worker' });
  assert.equal((await store.durability()).checkpoint, 'worker');
  await store.users.upsertByPhone('+8613800000001', Date.now());
  await store.close();
  assert.equal(fs.existsSync(`${file}-wal`), false, 'an open worker connection would keep it');
});

test('under a steady stream of commits the WAL stays bounded', async () => {
  const { file, db } = walDb();
  const cp = startWalCheckpointer(file, [db], { everyMs: 5 });
  let most = 0;
  try {
    for (let i = 0; i < 400; i++) {
      write(db, 40); // 16,000 pages in all, with the worker copying between commits
      await new Promise((r) => setImmediate(r));
      most = Math.max(most, fs.statSync(`${file}-wal`).size / (4096 + 24)); // a frame: header + page
    }
  } finally {
    await cp.stop();
    db.close();
  }
  // The file only grows when the WAL is not started over; 16,000 pages would take it to 16,000 frames.
  assert.ok(most < 8000, `the WAL reached ${Math.round(most)} frames`);
});

test('without the worker the store’s commits checkpoint at AUTO_CHECKPOINT_PAGES: the WAL grows past SQLite’s 1,000 pages, and no further', async () => {
  const file = path.join(tempDir('qun-wal-auto-'), 'qun.db');
  const store = await openSqliteStore(file, { gateway: 'sim' });
  try {
    assert.equal((await store.durability()).checkpoint, 'auto');
    const { group, users } = await groupWithMembers(store, 1);
    const body = 'x'.repeat(3500); // a message a page
    const frames = () => fs.statSync(`${file}-wal`).size / (4096 + 24);
    const append = (n: number) =>
      store.messages.append(
        Array.from({ length: n }, () => ({
          groupId: group.id,
          id: newMessageId(Date.now()),
          senderId: users[0]!.id,
          body,
          source: 'ws' as const,
          clientMsgId: null,
          audience: 'all' as const,
          createdAt: Date.now(),
        })),
      );
    let most = 0;
    for (let i = 0; i < 30; i++) {
      await append(100);
      most = Math.max(most, frames());
    }
    // 3,000 messages: SQLite's own threshold would have started the WAL over at ~1,000 frames.
    assert.ok(most > 2500, `the WAL reached ${Math.round(most)} frames`);
    for (let i = 0; i < 120; i++) {
      await append(100);
      most = Math.max(most, frames());
    }
    // 15,000 in all: started over near the threshold (a commit's frames and the index pages beyond it).
    assert.ok(most < AUTO_CHECKPOINT_PAGES * 1.3, `the WAL reached ${Math.round(most)} frames`);
  } finally {
    await store.close();
  }
});
