// Presence across nodes on one real Redis: what node A holds is in node B's snapshot; a node that dies
// leaves its members reconnecting for one grace, then nothing; a Redis that is away, stuck or restarted
// empty never makes a member who may be live answer "not live".
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import type { MemberPresence } from '../../../src/domain/routing.ts';
import {
  connectRedis,
  RedisPresence,
  type RedisPresenceOptions,
} from '../../../src/presence/redis/redis-presence.ts';
import {
  freezeRedis,
  freshPrefix,
  redisInstalled,
  redisUrl,
  startRedisAgain,
  stopRedis,
  thawRedis,
} from '../../helpers/redis.ts';
import { eventually } from '../../helpers/server.ts';

const T0 = 1_800_000_000_000;

function show(p: MemberPresence | undefined): string {
  if (!p) return 'nothing';
  const parts: string[] = [];
  if (p.liveConnections > 0) parts.push(`live ${p.liveConnections}`);
  if (p.webOnline) parts.push('web');
  if (p.recentlyLive) parts.push('reconnecting');
  return parts.join(' + ');
}

if (redisInstalled('Redis presence across nodes')) {
  describe('Redis presence across nodes', () => {
    const connections: Redis[] = [];
    const registries: RedisPresence[] = [];
    const errors: unknown[] = [];
    after(async () => {
      for (const r of registries) await r.close();
      for (const c of connections) c.disconnect();
    });

    async function node(
      name: string,
      prefix: string,
      o: Partial<RedisPresenceOptions> & Pick<RedisPresenceOptions, 'now'>,
    ): Promise<{ p: RedisPresence; redis: Redis; sent: string[] }> {
      const redis = connectRedis(await redisUrl(), { maxRetryDelayMs: 50, commandTimeoutMs: 500 });
      connections.push(redis);
      // Counts the commands this node sends: a snapshot must be one.
      const sent: string[] = [];
      const send = redis.sendCommand.bind(redis);
      redis.sendCommand = ((c: { name: string }, ...rest: unknown[]) => {
        sent.push(c.name);
        return (send as (...a: unknown[]) => unknown)(c, ...rest);
      }) as typeof redis.sendCommand;
      const p = new RedisPresence(redis, {
        node: name,
        prefix,
        webOnlineTtlMs: 60_000,
        reconnectGraceMs: 10_000,
        refreshMs: 200,
        timeoutMs: 300,
        // Every snapshot reads Redis, unless a test is about the short cache of other nodes' entries.
        remoteCacheMs: 0,
        onError: (e) => errors.push(e),
        ...o,
      });
      registries.push(p);
      await p.start();
      return { p, redis, sent };
    }

    async function view(p: RedisPresence, ids: number[], now: number): Promise<string[]> {
      const snap = await p.snapshot(ids, now);
      return ids.map((id) => show(snap.get(id)));
    }

    test("B reuses A's entries for remoteCacheMs: no Redis command within it, a fresh read after it", async () => {
      const t = T0;
      const now = () => t;
      const prefix = freshPrefix('cache');
      const a = await node('a', prefix, { now, warmupMs: 0 });
      const c = await node('c', prefix, { now, warmupMs: 0 }); // reads Redis every time: the truth
      a.p.liveChanged(1, 1);
      await eventually(async () => (await view(c.p, [1], t))[0] === 'live 1' || undefined, 5000, 'A wrote');
      const b = await node('b', prefix, { now, warmupMs: 0, remoteCacheMs: 100 });
      assert.deepEqual(await view(b.p, [1], t), ['live 1']);
      a.p.liveChanged(1, -1);
      a.p.liveChanged(5, 1);
      await eventually(
        async () => (await view(c.p, [1, 5], t)).join() === 'reconnecting,live 1' || undefined,
        5000,
        'A wrote the close',
      );
      b.sent.length = 0;
      assert.deepEqual(await view(b.p, [1], t + 100), ['live 1'], 'within the cache: the entry as read');
      assert.deepEqual(b.sent, [], 'no command for a cached member');
      assert.deepEqual(await view(b.p, [1, 5], t + 100), ['live 1', 'live 1'], 'an uncached member is read');
      assert.deepEqual(b.sent, ['evalsha'], 'one command, for the member not cached');
      assert.deepEqual(await view(b.p, [1], t + 101), ['reconnecting'], 'after the cache: read again');
    });

    test("A's live members and fetches are in B's snapshot, connections summed over nodes, in one round trip", async () => {
      let t = T0;
      const now = () => t;
      const prefix = freshPrefix('sum');
      // The epoch is old: a Redis that has been up for long (no warm-up).
      const a = await node('a', prefix, { now, warmupMs: 0 });
      const b = await node('b', prefix, { now, warmupMs: 0 });
      a.p.liveChanged(1, 1);
      a.p.liveChanged(1, 1);
      b.p.liveChanged(1, 1);
      a.p.webFetched(2, t);
      a.p.liveChanged(3, 1);
      a.p.liveChanged(3, -1); // a clean close on A
      await eventually(
        async () =>
          (await view(b.p, [1, 2, 3, 4], t)).join() === 'live 3,web,reconnecting,nothing' || undefined,
        5000,
        "A's entries in B's snapshot",
      );
      assert.deepEqual(await view(a.p, [1, 2, 3], t), ['live 3', 'web', 'reconnecting']);

      const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
      b.sent.length = 0;
      const snap = await b.p.snapshot(ids, t);
      assert.deepEqual(b.sent, ['evalsha'], 'a snapshot of 1,000 members is one command');
      assert.equal(snap.size, 3);

      a.p.liveChanged(1, -1);
      a.p.liveChanged(1, -1);
      await eventually(
        async () => (await view(b.p, [1], t))[0] === 'live 1' || undefined,
        5000,
        'A closed both',
      );
      b.p.liveChanged(1, -1);
      assert.deepEqual(await view(b.p, [1], t), ['reconnecting']);
      t += 10_001;
      assert.deepEqual(
        await view(b.p, [1, 3], t),
        ['nothing', 'nothing'],
        'one grace after the close, nothing',
      );
    });

    test('a node that dies without cleanup: its members reconnecting for one grace after its entries lapse, then nothing', async () => {
      // The real clock and short TTLs: the heartbeat is what keeps A's entries, and Redis what expires them.
      const prefix = freshPrefix('death');
      const o = { now: Date.now, refreshMs: 40, reconnectGraceMs: 1500, warmupMs: 0 };
      const a = await node('a', prefix, o);
      const b = await node('b', prefix, o);
      a.p.liveChanged(5, 1);
      await eventually(
        async () => (await view(b.p, [5], Date.now()))[0] === 'live 1' || undefined,
        5000,
        'A live',
      );
      // Many live TTLs later A's member is still live: only A's heartbeat can have kept the entry.
      await new Promise((r) => setTimeout(r, 600));
      await eventually(
        async () => (await view(b.p, [5], Date.now()))[0] === 'live 1' || undefined,
        5000,
        'kept',
      );
      // A dies: its connection is cut and never comes back; nothing of A cleans up.
      a.redis.disconnect();
      const states: string[] = [];
      await eventually(
        async () => {
          const s = (await view(b.p, [5], Date.now()))[0]!;
          if (states.at(-1) !== s) states.push(s);
          return s === 'nothing' || undefined;
        },
        10_000,
        "A's member gone",
      );
      // (The first sample may already be past the live entry, on a slow machine.)
      assert.deepEqual(states.slice(-2), ['reconnecting', 'nothing'], states.join(' → '));
      assert.ok(states.length <= 3 && (states.length === 2 || states[0] === 'live 1'), states.join(' → '));
    });

    test('Redis restarted empty: unknown members answer reconnecting while it is away and during the warm-up, then the truth', async () => {
      let t = T0;
      const now = () => t;
      const prefix = freshPrefix('restart');
      const warmupMs = 2_000;
      const a = await node('a', prefix, { now, warmupMs, refreshMs: 100 });
      const b = await node('b', prefix, { now, warmupMs, refreshMs: 100 });
      t += warmupMs + 1; // past the warm-up of this prefix's first epoch
      a.p.liveChanged(1, 1);
      await eventually(
        async () => (await view(b.p, [1, 99], t)).join() === 'live 1,nothing' || undefined,
        5000,
        'A live',
      );

      const reported = errors.length;
      await stopRedis();
      try {
        // Away: B cannot know; answers at once, and "maybe live" for everyone not live here.
        assert.deepEqual(await view(b.p, [1, 99], t), ['reconnecting', 'reconnecting']);
        assert.deepEqual(await view(a.p, [1, 99], t), ['live 1', 'reconnecting'], 'A knows its own');
        a.p.liveChanged(2, 1); // never throws while Redis is away
        a.p.webFetched(3, t);
        // Reported while it lasts (asked after Redis is back, a write queued meanwhile may just succeed).
        await eventually(() => (errors.length > reported ? true : undefined), 5000, 'the outage reported');
      } finally {
        await startRedisAgain();
      }
      // Both nodes reconnect and A rewrites all it holds, under a new epoch: the warm-up starts.
      await eventually(
        async () =>
          (await view(b.p, [1, 2, 3, 99], t)).join() === 'live 1,live 1,web + reconnecting,reconnecting' ||
          undefined,
        10_000,
        "A's entries rewritten, warm-up answers for the unknown",
      );
      t += warmupMs + 1;
      // After the warm-up (A's heartbeat keeps its entries on the new clock), the truth again.
      await eventually(
        async () => (await view(b.p, [1, 2, 3, 99], t)).join() === 'live 1,live 1,web,nothing' || undefined,
        5000,
        'the truth after the warm-up',
      );
    });

    test('a stuck Redis: a snapshot answers within its bound, as unknown', async () => {
      let t = T0;
      const now = () => t;
      const prefix = freshPrefix('stuck');
      const b = await node('b', prefix, { now, warmupMs: 0, timeoutMs: 200 });
      t += 1;
      b.p.liveChanged(4, 1);
      assert.deepEqual(await view(b.p, [4, 5], t), ['live 1', 'nothing']);
      freezeRedis();
      try {
        assert.deepEqual(await view(b.p, [4, 5], t), ['live 1', 'reconnecting']);
      } finally {
        thawRedis();
      }
      await eventually(
        async () => (await view(b.p, [4, 5], t)).join() === 'live 1,nothing' || undefined,
        5000,
        'back',
      );
    });

    test('keys lost without a restart (a flush): the next command sees a new epoch and the nodes rewrite', async () => {
      let t = T0;
      const now = () => t;
      const prefix = freshPrefix('flush');
      const a = await node('a', prefix, { now, warmupMs: 1000, refreshMs: 100 });
      const b = await node('b', prefix, { now, warmupMs: 1000, refreshMs: 100 });
      t += 1001;
      a.p.liveChanged(8, 1);
      await eventually(
        async () => (await view(b.p, [8, 9], t)).join() === 'live 1,nothing' || undefined,
        5000,
        'A live',
      );
      const keys = await b.redis.keys(`${prefix}*`);
      await b.redis.del(...keys);
      // B's next snapshot creates a new epoch: warm-up; A's heartbeat sees it and rewrites.
      assert.deepEqual(await view(b.p, [8, 9], t), ['reconnecting', 'reconnecting']);
      await eventually(async () => (await view(b.p, [8], t))[0] === 'live 1' || undefined, 5000, 'A rewrote');
      t += 1001;
      await eventually(
        async () => (await view(b.p, [8, 9], t)).join() === 'live 1,nothing' || undefined,
        5000,
        'warm',
      );
    });
  });
}
