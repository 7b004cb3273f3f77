// The Store contract on the embedded engine: a SQLite file in a temp dir.
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from '../helpers/server.ts';
import { policyStoreContract } from './policy-store.contract.ts';
import { presenceTrailContract } from './presence-trail.contract.ts';
import { storeContract } from './store.contract.ts';

storeContract('sqlite', {
  open: () => openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' }),
});

presenceTrailContract('sqlite', {
  open: () => openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' }),
});

policyStoreContract('sqlite', {
  open: () => openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' }),
});
