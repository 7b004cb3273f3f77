// The presence contract on every engine: in memory (one process, nothing survives it), the store's
// entries on SQLite and on PostgreSQL, and Redis (a throwaway server; each case its own key prefix).
import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { DurablePresence } from '../../src/presence/durable/durable-presence.ts';
import { MemoryPresence } from '../../src/presence/memory/memory-presence.ts';
import { connectRedis, RedisPresence } from '../../src/presence/redis/redis-presence.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { postgresInstalled, preparedDatabase } from '../helpers/postgres.ts';
import { freshPrefix, redisInstalled, redisUrl } from '../helpers/redis.ts';
import { tempDir } from '../helpers/server.ts';
import { type PresenceBackend, type PresenceOptions, presenceContract } from './presence.contract.ts';

const fail = (e: unknown) => {
  throw e;
};

presenceContract('memory', {
  survivesRestart: false,
  backend: async () => ({
    open: (_node, o) => new MemoryPresence(o.webOnlineTtlMs, o.reconnectGraceMs, o.now),
    close: async () => {},
  }),
});

function durable(store: Store, cleanup: () => void = () => {}): PresenceBackend {
  return {
    open: (node: string, o: PresenceOptions) =>
      new DurablePresence(store.presence, { node, ...o, onError: fail }),
    close: async () => {
      await store.close();
      cleanup();
    },
  };
}

presenceContract('durable (SQLite)', {
  survivesRestart: true,
  async backend() {
    const dir = tempDir();
    const store = await openSqliteStore(path.join(dir, 'qun.db'), { gateway: 'sim' });
    return durable(store, () => fs.rmSync(dir, { recursive: true, force: true }));
  },
});

if (postgresInstalled('Presence contract: durable (PostgreSQL)')) {
  presenceContract('durable (PostgreSQL)', {
    survivesRestart: true,
    async backend() {
      const url = await preparedDatabase('migrated', async (u) =>
        (await openPostgresStore(u, { gateway: 'sim' })).close(),
      );
      return durable(await openPostgresStore(url, { gateway: 'sim', poolSize: 4 }));
    },
  });
}

if (redisInstalled('Presence contract: Redis')) {
  presenceContract('Redis', {
    survivesRestart: true,
    async backend() {
      const url = await redisUrl();
      const prefix = freshPrefix('contract');
      const connections: Redis[] = [];
      const admin = connectRedis(url, { onError: fail });
      connections.push(admin);
      await new Promise((r) => admin.once('ready', r));
      // A Redis that has been up for long: no warm-up after a restart of Redis (the cluster tests' case).
      await admin.set(`${prefix}epoch`, '0:contract');
      return {
        open(node, o) {
          const redis = connectRedis(url, { onError: fail });
          connections.push(redis);
          return new RedisPresence(redis, { node, prefix, remoteCacheMs: 0, ...o, onError: fail });
        },
        async close() {
          for (const c of connections) await c.quit();
        },
      };
    },
  });
}
