// The Store contract on PostgreSQL: a fresh database on a throwaway local server, and a second pool on
// the same database standing in for a second Qun node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freshDatabase, postgresInstalled, preparedDatabase } from '../helpers/postgres.ts';
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
    async openNode(first, nodeId) {
      const store = await openPostgresStore(urls.get(first)!, { gateway: 'sim', nodeId });
      urls.set(store, urls.get(first)!);
      return store;
    },
  });
}

if (postgresInstalled('PostgreSQL append race')) {
  test('postgres: a client id committed by another writer while an append waits is answered as a duplicate, no seq lost', async () => {
    const url = await freshDatabase();
    const store = await openPostgresStore(url, { gateway: 'sim' });
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      const owner = await store.users.upsertByPhone('+8613800000000', 1);
      const group = await store.groups.create(
        { appNumber: '01', name: 'Race', invitePolicy: 'direct', memberCap: 10, ownerId: owner.id },
        () => '1000',
        1,
      );
      const m = (id: string) => ({
        groupId: group.id,
        id,
        senderId: owner.id,
        body: id,
        source: 'ws' as const,
        clientMsgId: 'same-cid',
        audience: 'all' as const,
        createdAt: 1,
      });
      // Another node is half-way through appending the same client id: it holds the group row.
      await other.query('BEGIN');
      await other.query('UPDATE groups SET last_seq = last_seq + 1 WHERE id = $1', [group.id]);
      await other.query(
        `INSERT INTO messages (group_id, seq, id, sender_id, body, source, client_msg_id, audience, created_at)
         VALUES ($1, 1, 'theirs', $2, 'theirs', 'ws', 'same-cid', 'all', 1)`,
        [group.id, owner.id],
      );
      const mine = store.messages.append([m('mine')]);
      // Wait until this append queues on the group row, then let the other writer commit.
      for (;;) {
        const w = await other.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        if (w.rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await other.query('COMMIT');
      const [r] = await mine;
      assert.equal(r!.duplicate, true);
      assert.equal(r!.message.id, 'theirs');
      assert.equal(r!.message.seq, 1);
      assert.equal((await store.groups.byId(group.id))!.lastSeq, 1, 'no seq was taken by the loser');
      const [next] = await store.messages.append([{ ...m('next'), clientMsgId: null }]);
      assert.equal(next!.message.seq, 2);
    } finally {
      await other.end();
      await store.close();
    }
  });
}
