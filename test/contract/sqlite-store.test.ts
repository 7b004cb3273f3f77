// The Store contract on the embedded engine: a SQLite file in a temp dir; then once more through the
// cached reads every server puts in front of its store (src/store/cached/cached-reads.ts): the cache must
// not change one answer the contract checks.
import path from 'node:path';
import { cachedReads } from '../../src/store/cached/cached-reads.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/server.ts';
import { storeContract } from './store.contract.ts';

for (const cached of [false, true]) {
  const files = new WeakMap<Store, string>();
  const open = async (file: string, nodeId?: string) => {
    const plain = await openSqliteStore(file, { gateway: 'sim', nodeId });
    const store = cached ? cachedReads(plain, { now: Date.now }).store : plain;
    files.set(store, file);
    return store;
  };
  storeContract(cached ? 'sqlite, reads cached' : 'sqlite', {
    open: () => open(path.join(tempDir(), 'qun.db')),
    openNode: (first, nodeId) => open(files.get(first)!, nodeId),
  });
}
