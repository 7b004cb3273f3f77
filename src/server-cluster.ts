// The composition of what several nodes share: presence and hints. Without QUN_REDIS_URL, presence is
// kept in the store (one node) and hints stay in process; with it, both go through Redis, every node
// reads the groups its sockets follow from the log (hint or poll), and a sweep routes what a node that
// stopped left behind. No logic lives here. The Redis side (ioredis with it) is imported only when
// configured: a single node does not load it.
import type { Logger } from 'pino';
import type { LiveHub } from './channels/live/live-hub.ts';
import { applyPeerMembership } from './channels/live/live-peer-events.ts';
import { LocalBus } from './cluster/local/local-bus.ts';
import type { Config } from './config/config.ts';
import type { Clock } from './core/clock.ts';
import { peerHints } from './core/cluster-hints.ts';
import { ClusterTail } from './core/cluster-tail.ts';
import type { DeliveryEngine } from './core/delivery-engine.ts';
import type { MessageFramer } from './core/frames.ts';
import type { MemberCache, MemberCacheOptions } from './core/member-cache.ts';
import { OrphanSweep } from './core/orphan-sweep.ts';
import type { ClusterBus } from './core/ports/cluster-bus.ts';
import type { AckDeadlines } from './core/ports/live-delivery.ts';
import { DurablePresence } from './presence/durable/durable-presence.ts';
import type { PresenceRegistry } from './presence/presence.ts';
import type { Job } from './scheduler/job-runner.ts';
import type { CachedReads } from './store/cached/cached-reads.ts';
import type { Store } from './store/store.ts';

export interface SharedState {
  presence: PresenceRegistry;
  bus: ClusterBus;
  /** Several nodes may share the store (Redis configured). */
  multiNode: boolean;
  memberCache: MemberCacheOptions;
  close(): Promise<void>;
}

/** How often each node reads the end of the groups its sockets follow, whatever the hints said. */
const POLL_MS = 1000;

export async function openSharedState(
  config: Config,
  store: Store,
  clock: Clock,
  log: Logger,
): Promise<SharedState> {
  const refreshMs = Math.max(1000, Math.min(config.liveHeartbeat, 10_000));
  const onError = (e: unknown) =>
    log.warn({ err: e }, 'writing presence failed (a hint only: the log and cursors are the truth)');
  if (config.redisUrl) {
    if (!config.databaseUrl)
      // Nodes on different machines cannot share one SQLite file, and processes on one machine that do
      // serialize every write on its lock: several nodes mean PostgreSQL.
      log.warn(
        'QUN_REDIS_URL is set but the store is the SQLite file: several nodes need QUN_DATABASE_URL (PostgreSQL); presence and hints go through Redis anyway',
      );
    const [{ connectRedis, RedisPresence }, { RedisBus }] = await Promise.all([
      import('./presence/redis/redis-presence.ts'),
      import('./cluster/redis/redis-bus.ts'),
    ]);
    const redis = connectRedis(config.redisUrl, {
      name: `qun:${config.nodeId}`,
      onError: (e) =>
        log.warn({ err: e }, 'Redis is unreachable (presence answers "unknown", hints wait for the poll)'),
    });
    const presence = new RedisPresence(redis, {
      node: config.nodeId,
      webOnlineTtlMs: config.webOnlineTtl,
      reconnectGraceMs: config.liveAckTimeout,
      refreshMs,
      now: () => clock.now(),
      onError,
    });
    const bus = new RedisBus(redis, {
      node: config.nodeId,
      onError: (e) => log.warn({ err: e }, 'a hint between nodes failed (the poll makes it good)'),
    });
    return {
      presence,
      bus,
      multiNode: true,
      // A lost "members changed" hint heals within this.
      memberCache: { maxAgeMs: 5000, now: () => clock.now() },
      close: async () => {
        await bus.close();
        await presence.close();
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }
  const presence = new DurablePresence(store.presence, {
    node: config.nodeId,
    webOnlineTtlMs: config.webOnlineTtl,
    reconnectGraceMs: config.liveAckTimeout,
    refreshMs,
    now: () => clock.now(),
    onError,
  });
  const bus = new LocalBus(config.nodeId);
  return {
    presence,
    bus,
    multiNode: false,
    memberCache: {},
    close: async () => {
      await bus.close();
      await presence.close();
    },
  };
}

export interface ClusterWiring {
  store: Store;
  reads: CachedReads;
  hub: LiveHub;
  tracker: AckDeadlines;
  members: MemberCache;
  framer: MessageFramer;
  delivery: DeliveryEngine;
  clock: Clock;
  config: Config;
  log: Logger;
}

/** Starts listening to the other nodes; returns the jobs that keep a node in step without hints. */
export async function joinCluster(
  shared: SharedState,
  w: ClusterWiring,
): Promise<{ jobs: Job[]; idle(): Promise<void> }> {
  const tail = new ClusterTail({
    store: w.store,
    hub: w.hub,
    members: w.members,
    framer: w.framer,
    clock: w.clock,
    settleMs: 2 * POLL_MS,
    log: w.log,
  });
  await shared.bus.start(
    peerHints({
      node: shared.bus.node,
      tail,
      members: w.members,
      reads: w.reads,
      membership: (h) => applyPeerMembership(w.hub, w.store, h),
      log: w.log,
    }),
  );
  if (!shared.multiNode) return { jobs: [], idle: () => tail.idle() };
  const sweepEveryMs = Math.max(1000, Math.floor(w.config.liveAckTimeout / 2));
  const sweep = new OrphanSweep({
    store: w.store,
    presence: shared.presence,
    tracker: w.tracker,
    delivery: w.delivery,
    bus: shared.bus,
    clock: w.clock,
    liveAckTimeoutMs: w.config.liveAckTimeout,
    leaseMs: 4 * sweepEveryMs,
  });
  return {
    jobs: [
      { name: 'log-tail', everyMs: POLL_MS, run: () => tail.poll() },
      {
        name: 'orphan-sweep',
        everyMs: sweepEveryMs,
        run: () => sweep.run(),
      },
    ],
    idle: () => tail.idle(),
  };
}
