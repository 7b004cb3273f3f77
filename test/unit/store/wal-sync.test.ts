// SQLite appends commit without an fsync on the event loop and are synced on the thread pool (store/
// sqlite/wal-sync.ts). Against a real file, with the WAL's fdatasync held by the test: an append resolves
// only once its sync is done; any other store call made meanwhile waits for it (a member must never read
// a seq a power cut could give to another message); appends made during a sync share the next one; a
// failed sync fails the appends it was to cover, and the next call syncs again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { Fdatasync } from '../../../src/store/sqlite/wal-sync.ts';
import { isStorageFailure } from '../../../src/store/storage-errors.ts';
import { groupWithMembers, msg } from '../../contract/store-fixtures.ts';
import { tempDir } from '../../helpers/server.ts';

const turns = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

/** A real fdatasync that waits for the test's word: `hold` on, each call waits until `release()`. */
function heldSync() {
  const calls: { fd: number; go: (err?: NodeJS.ErrnoException) => void }[] = [];
  let hold = false;
  const fdatasync: Fdatasync = (fd, done) => {
    const go = (err?: NodeJS.ErrnoException) => (err ? done(err) : fs.fdatasync(fd, done));
    if (!hold) return go();
    calls.push({ fd, go });
  };
  return {
    fdatasync,
    calls,
    hold: (on: boolean) => {
      hold = on;
    },
    release(err?: NodeJS.ErrnoException) {
      for (const c of calls.splice(0)) c.go(err);
    },
  };
}

function settledFlag(p: Promise<unknown>) {
  const s = { done: false, error: undefined as unknown };
  p.then(
    () => {
      s.done = true;
    },
    (e: unknown) => {
      s.done = true;
      s.error = e;
    },
  );
  return s;
}

async function setUp(t: { after: (f: () => Promise<void>) => void }) {
  const dir = tempDir();
  const sync = heldSync();
  const store = await openSqliteStore(path.join(dir, 'qun.db'), {
    gateway: 'sim',
    fdatasync: sync.fdatasync,
  });
  t.after(() => store.close());
  const { group, owner } = await groupWithMembers(store, 2);
  return { store, sync, group, owner, wal: path.join(dir, 'qun.db-wal') };
}

test('an append resolves after its WAL sync; a read made meanwhile waits for it, then sees the message', async (t) => {
  const { store, sync, group, owner, wal } = await setUp(t);
  sync.hold(true);
  const appending = store.messages.append([msg(group.id, owner.id, 1)]);
  const append = settledFlag(appending);
  const read = store.messages.range(group.id, 0, 10, 10);
  const reading = settledFlag(read);
  const other = store.groups.byId(group.id);
  const otherRead = settledFlag(other);
  await turns();
  assert.equal(sync.calls.length, 1, 'one sync asked for');
  assert.equal(fs.fstatSync(sync.calls[0]!.fd).ino, fs.statSync(wal).ino, 'of the WAL file');
  assert.equal(append.done, false, 'the append waits for its sync');
  assert.equal(reading.done, false, 'a read of the log waits too');
  assert.equal(otherRead.done, false, 'and so does any other store call');
  sync.release();
  assert.equal((await appending)[0]!.message.seq, 1, 'the append resolved once synced');
  assert.deepEqual(
    (await read).map((m) => m.seq),
    [1],
    'the read ran once synced, and saw the message',
  );
  assert.equal((await other)?.id, group.id);
});

test('appends made while a sync runs share the next sync', async (t) => {
  const { store, sync, group, owner } = await setUp(t);
  sync.hold(true);
  const first = store.messages.append([msg(group.id, owner.id, 1)]);
  await turns(2);
  const later = [2, 3].map((seq) => store.messages.append([msg(group.id, owner.id, seq)]));
  await turns();
  assert.equal(sync.calls.length, 1, 'one sync runs; the later appends wait for it to end');
  sync.release();
  await first;
  await turns();
  assert.equal(sync.calls.length, 1, 'one more sync, for both later appends');
  sync.release();
  const done = await Promise.all(later);
  assert.deepEqual(
    done.map((r) => r[0]!.message.seq),
    [2, 3],
  );
});

test('a failed sync fails the appends it covered; the next call syncs again and then runs', async (t) => {
  const { store, sync, group, owner } = await setUp(t);
  sync.hold(true);
  const append = store.messages.append([msg(group.id, owner.id, 1, 'c1')]);
  await turns();
  const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  sync.release(eio);
  await assert.rejects(
    append,
    (e: unknown) => isStorageFailure(e) && /EIO/.test(String(e)),
    'the sender is not told its message is kept, but that the store is unavailable (503)',
  );
  sync.hold(false);
  // The row is committed but was never known to be on disk: a read first syncs the file.
  const seqs = (await store.messages.range(group.id, 0, 10, 10)).map((m) => m.seq);
  assert.deepEqual(seqs, [1]);
  // The sender's retry with the same client id finds the row, and is told once the file is synced.
  const retry = await store.messages.append([msg(group.id, owner.id, 1, 'c1')]);
  assert.equal(retry[0]!.duplicate, true);
});
