// The cluster bus over a real Redis: a hint published on one node reaches every node; a burst of
// `committed` hints for a group is one hint per turn; Redis going away never makes publish throw, and
// after it comes back (restarted, empty) hints flow again.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { RedisBus } from '../../../src/cluster/redis/redis-bus.ts';
import type { ClusterHint } from '../../../src/core/ports/cluster-bus.ts';
import { connectRedis } from '../../../src/presence/redis/redis-presence.ts';
import { freshPrefix, redisInstalled, redisUrl, startRedisAgain, stopRedis } from '../../helpers/redis.ts';
import { eventually } from '../../helpers/server.ts';

if (redisInstalled('Redis cluster bus')) {
  describe('Redis cluster bus', () => {
    const connections: Redis[] = [];
    const buses: RedisBus[] = [];
    const errors: unknown[] = [];
    after(async () => {
      for (const b of buses) await b.close();
      for (const c of connections) c.disconnect();
    });

    async function bus(node: string, channel: string) {
      const redis = connectRedis(await redisUrl(), { maxRetryDelayMs: 50, commandTimeoutMs: 500 });
      connections.push(redis);
      await new Promise((r) => redis.once('ready', r));
      const b = new RedisBus(redis, { node, channel, onError: (e) => errors.push(e) });
      buses.push(b);
      const got: { hint: ClusterHint; from: string }[] = [];
      await b.start((hint, from) => got.push({ hint, from }));
      return { b, got, redis };
    }

    test('a hint published on one node reaches every node, the publisher included', async () => {
      const channel = `${freshPrefix('bus')}hints`;
      const a = await bus('a', channel);
      const b = await bus('b', channel);
      a.b.publish({ kind: 'committed', groupId: 1, seq: 3 });
      a.b.publish({ kind: 'membership', groupId: 2, userId: 7, change: 'joined' });
      for (const n of [a, b])
        await eventually(() => (n.got.length >= 2 ? true : undefined), 5000, 'both hints');
      assert.deepEqual(b.got, [
        { hint: { kind: 'committed', groupId: 1, seq: 3 }, from: 'a' },
        { hint: { kind: 'membership', groupId: 2, userId: 7, change: 'joined' }, from: 'a' },
      ]);
      assert.deepEqual(
        a.got.map((g) => g.from),
        ['a', 'a'],
      );
    });

    test("one turn's committed hints of a group are one, with the highest seq; other hints keep their order", async () => {
      const channel = `${freshPrefix('bus')}hints`;
      const a = await bus('a', channel);
      const b = await bus('b', channel);
      a.b.publish({ kind: 'committed', groupId: 1, seq: 1 });
      a.b.publish({ kind: 'members', groupId: 9 });
      a.b.publish({ kind: 'committed', groupId: 1, seq: 5 });
      a.b.publish({ kind: 'committed', groupId: 2, seq: 2 });
      a.b.publish({ kind: 'committed', groupId: 1, seq: 4 });
      a.b.publish({ kind: 'renamed', groupId: 9 });
      await new Promise((r) => setImmediate(r));
      a.b.publish({ kind: 'committed', groupId: 1, seq: 6 }); // the next turn: a hint of its own
      await eventually(() => (b.got.length >= 5 ? true : undefined), 5000, 'the hints');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        b.got.map((g) => g.hint),
        [
          { kind: 'committed', groupId: 1, seq: 5 },
          { kind: 'members', groupId: 9 },
          { kind: 'committed', groupId: 2, seq: 2 },
          { kind: 'renamed', groupId: 9 },
          { kind: 'committed', groupId: 1, seq: 6 },
        ],
      );
    });

    test('a malformed message on the channel is reported, never handed on', async () => {
      const channel = `${freshPrefix('bus')}hints`;
      const b = await bus('b', channel);
      const before = errors.length;
      await b.redis.publish(channel, 'not json');
      await b.redis.publish(channel, JSON.stringify({ n: 'x', h: { kind: 'bogus' } }));
      await eventually(() => (errors.length >= before + 2 ? true : undefined), 5000, 'two reports');
      assert.deepEqual(b.got, []);
    });

    test('publish never throws while Redis is away; after a restart hints flow again', async () => {
      const channel = `${freshPrefix('bus')}hints`;
      const a = await bus('a', channel);
      const b = await bus('b', channel);
      a.b.publish({ kind: 'members', groupId: 1 });
      await eventually(() => (b.got.length === 1 ? true : undefined), 5000, 'before');
      await stopRedis();
      try {
        a.b.publish({ kind: 'members', groupId: 2 }); // dropped: a poll interval of latency, no error thrown
        await new Promise((r) => setTimeout(r, 50));
        a.b.publish({ kind: 'members', groupId: 3 });
      } finally {
        await startRedisAgain();
      }
      // B's subscriber reconnects and subscribes again; A's publisher reconnects.
      await eventually(
        () => {
          a.b.publish({ kind: 'members', groupId: 4 });
          return b.got.some((g) => g.hint.kind === 'members' && g.hint.groupId === 4) ? true : undefined;
        },
        10_000,
        'a hint after the restart',
      );
      assert.ok(
        !b.got.some((g) => g.hint.kind === 'members' && g.hint.groupId === 2),
        'a hint published while Redis was away is dropped, not queued',
      );
    });
  });
}
