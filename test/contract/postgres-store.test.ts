// The Store contract on PostgreSQL: a fresh database on a throwaway local server, and a second pool on
// the same database standing in for a second Qun node.
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freshDatabase, postgresInstalled } from '../helpers/postgres.ts';
import { policyStoreContract } from './policy-store.contract.ts';
import { presenceTrailContract } from './presence-trail.contract.ts';
import { storeContract } from './store.contract.ts';

if (postgresInstalled('Store contract: postgres')) {
  const urls = new WeakMap<Store, string>();
  storeContract('postgres', {
    async open() {
      const url = await freshDatabase();
      const store = await openPostgresStore(url, { gateway: 'sim' });
      urls.set(store, url);
      return store;
    },
    openSecond: (first) => openPostgresStore(urls.get(first)!, { gateway: 'sim' }),
  });
  policyStoreContract('postgres', {
    open: async () => openPostgresStore(await freshDatabase(), { gateway: 'sim' }),
  });
  presenceTrailContract('postgres', {
    open: async () => openPostgresStore(await freshDatabase(), { gateway: 'sim' }),
  });
}
