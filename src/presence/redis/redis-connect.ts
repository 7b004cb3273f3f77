// The Redis connection the cluster parts share (presence, the hint bus): fails fast while Redis is away
// and reconnects forever. Presence and hints are hints: a command that cannot run now is answered
// "unknown" or dropped by its caller at once, never queued until Redis comes back.
import { Redis } from 'ioredis';

export interface RedisConnectOptions {
  /** Shown in `CLIENT LIST` (e.g. the node id). */
  name?: string;
  /** A command without an answer after this long fails (default 2000 ms). */
  commandTimeoutMs?: number;
  /** The longest wait between reconnect attempts (default 2000 ms; the waits grow from 50 ms). */
  maxRetryDelayMs?: number;
  /** Connection errors (refused, reset, timed out); they repeat while Redis is down. */
  onError?: (e: Error) => void;
}

export function connectRedis(url: string, o: RedisConnectOptions = {}): Redis {
  const maxDelay = o.maxRetryDelayMs ?? 2000;
  const redis = new Redis(url, {
    lazyConnect: false,
    // Nothing waits for a Redis that is away: commands fail at once, their callers fall back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: o.commandTimeoutMs ?? 2000,
    connectTimeout: 5000,
    // Never give up: a node outlives any Redis outage.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times - 1, 10), maxDelay),
    ...(o.name ? { connectionName: o.name } : {}),
  });
  // Without a listener ioredis prints every connection error to the console.
  redis.on('error', o.onError ?? (() => {}));
  return redis;
}
