// The Store contract on PostgreSQL: a fresh database on a throwaway local server, and a second pool on
// the same database standing in for a second Qun node.
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import type { Store } from '../../src/store/store.ts';
import { postgresInstalled, preparedDatabase } from '../helpers/postgres.ts';
import { storeContract } from './store.contract.ts';

if (postgresInstalled('Store contract: postgres')) {
  const urls = new WeakMap<Store, string>();
  storeContract('postgres', {
    async open() {
      // Each case gets its own database, copied from one the migrations ran on once (the first run
      // migrates an empty database, as a new installation does).
      const url = await preparedDatabase('migrated', async (u) =>
        (await openPostgresStore(u, { gateway: 'sim' })).close(),
      );
      const store = await openPostgresStore(url, { gateway: 'sim' });
      urls.set(store, url);
      return store;
    },
    openSecond: (first) => openPostgresStore(urls.get(first)!, { gateway: 'sim' }),
  });
}
