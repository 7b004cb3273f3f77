// The Store contract on the embedded engine: a SQLite file in a temp dir.
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from '../helpers/server.ts';
import { storeContract } from './store.contract.ts';

storeContract('sqlite', {
  open: () => openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' }),
});
