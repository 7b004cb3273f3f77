// The log opens with synchronous=FULL in WAL mode by default: an acknowledged message survives power loss.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from '../../helpers/server.ts';

test('the SQLite store is WAL with synchronous=FULL, its checkpoint SQLite’s own', async () => {
  const store = await openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' });
  assert.deepEqual(await store.durability(), { synchronous: 'FULL', journal: 'wal', checkpoint: 'auto' });
  await store.close();
});

test('QUN_SQLITE_CHECKPOINT=worker runs it in a worker thread', async () => {
  const store = await openSqliteStore(path.join(tempDir(), 'qun.db'), {
    gateway: 'sim',
    sqliteCheckpoint: 'auto',
  });
  assert.deepEqual(await store.durability(), { synchronous: 'FULL', journal: 'wal', checkpoint: 'auto' });
  await store.close();
});
