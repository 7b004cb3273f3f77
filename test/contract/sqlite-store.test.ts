// The Store contract on the embedded engine: a SQLite file in a temp dir.
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/server.ts';
import { storeContract } from './store.contract.ts';

const files = new WeakMap<Store, string>();
const open = async (file: string, nodeId?: string) => {
  const store = await openSqliteStore(file, { gateway: 'sim', nodeId });
  files.set(store, file);
  return store;
};

storeContract('sqlite', {
  open: () => open(path.join(tempDir(), 'qun.db')),
  openNode: (first, nodeId) => open(files.get(first)!, nodeId),
});
