// The Store contract once more on SQLite, through the cached reads every server uses
// (src/store/cached/cached-reads.ts): the cache must not change one answer the contract checks.
import path from 'node:path';
import { cachedReads } from '../../src/store/cached/cached-reads.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/server.ts';
import { storeContract } from './store.contract.ts';

const files = new WeakMap<Store, string>();
const open = async (file: string, nodeId?: string) => {
  const store = cachedReads(await openSqliteStore(file, { gateway: 'sim', nodeId }), { now: Date.now }).store;
  files.set(store, file);
  return store;
};

storeContract('sqlite, reads cached', {
  open: () => open(path.join(tempDir(), 'qun.db')),
  openNode: (first, nodeId) => open(files.get(first)!, nodeId),
});
