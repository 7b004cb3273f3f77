// Hints between nodes over Redis pub/sub (docs/adr/0008-cluster-hints-over-pubsub.md says why not
// Streams): one channel, each message JSON `{"n": node, "h": hint}`. Publishing never waits and never
// throws: while Redis is away a hint is dropped, which costs the receivers a poll interval. A separate
// connection subscribes (a subscribed connection can run nothing else); ioredis subscribes it again
// after every reconnect, so hints flow again once Redis is back, restarted or not.
//
// Per event-loop turn, the `committed` hints of one group are coalesced into one carrying the highest
// seq (a burst of appends to a group is one wake-up per node); other hints keep their order.
import type { Redis } from 'ioredis';
import type { ClusterBus, ClusterHint } from '../../core/ports/cluster-bus.ts';

export interface RedisBusOptions {
  node: string;
  /** The channel the nodes of one installation share (default `qun:hints`). */
  channel?: string;
  /** Publish failures (once per failing spell), malformed messages, handlers that threw. */
  onError: (e: unknown) => void;
}

const KINDS = new Set(['committed', 'members', 'membership', 'renamed']);

export class RedisBus implements ClusterBus {
  readonly node: string;
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channel: string;
  readonly #onError: (e: unknown) => void;
  /** This turn's hints, in order; a group's `committed` keeps the place of its first and the highest seq. */
  #pending = new Map<string, ClusterHint>();
  #seq = 0;
  #handler: ((hint: ClusterHint, fromNode: string) => void) | undefined;
  #subscribed = false;
  #failing = false;
  #closed = false;

  /** `redis` publishes (it may be shared with presence); the bus opens its own subscriber beside it. */
  constructor(redis: Redis, o: RedisBusOptions) {
    this.node = o.node;
    this.#pub = redis;
    this.#channel = o.channel ?? 'qun:hints';
    this.#onError = o.onError;
    this.#sub = redis.duplicate({ lazyConnect: true, autoResubscribe: true });
    this.#sub.on('error', (e) => this.#report(e));
    this.#sub.on('message', (channel: string, text: string) => {
      if (channel === this.#channel) this.#receive(text);
    });
    // A subscribe that failed (Redis away at start) is not one ioredis repeats: do it on the next connect.
    this.#sub.on('ready', () => {
      if (!this.#subscribed) void this.#subscribe();
    });
  }

  async start(onHint: (hint: ClusterHint, fromNode: string) => void): Promise<void> {
    this.#handler = onHint;
    await this.#sub.connect().catch((e) => this.#report(e));
    if (!this.#subscribed && this.#sub.status === 'ready') await this.#subscribe();
  }

  publish(hint: ClusterHint): void {
    if (this.#closed) return;
    if (this.#pending.size === 0) setImmediate(() => this.#flush());
    if (hint.kind === 'committed') {
      const key = `c:${hint.groupId}`;
      const had = this.#pending.get(key);
      if (!had || (had.kind === 'committed' && had.seq < hint.seq)) this.#pending.set(key, hint);
    } else {
      this.#pending.set(`o:${++this.#seq}`, hint);
    }
  }

  /** Publishes what this turn queued, then stops listening. The publishing connection is the caller's. */
  async close(): Promise<void> {
    this.#flush();
    this.#closed = true;
    this.#handler = undefined;
    await this.#sub.quit().catch(() => this.#sub.disconnect());
  }

  #flush(): void {
    const hints = [...this.#pending.values()];
    this.#pending = new Map();
    if (hints.length === 0 || this.#closed) return;
    if (this.#pub.status !== 'ready') {
      this.#report(
        new Error(`Redis unreachable: ${hints.length} hint(s) dropped (nodes catch up by polling)`),
      );
      return;
    }
    for (const h of hints) {
      this.#pub.publish(this.#channel, JSON.stringify({ n: this.node, h })).then(
        () => {
          this.#failing = false;
        },
        (e) => this.#report(e),
      );
    }
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#sub.subscribe(this.#channel);
      this.#subscribed = true;
      this.#failing = false;
    } catch (e) {
      this.#report(e);
    }
  }

  #receive(text: string): void {
    let m: { n?: unknown; h?: { kind?: unknown } };
    try {
      m = JSON.parse(text);
    } catch (e) {
      this.#onError(e);
      return;
    }
    if (typeof m?.n !== 'string' || typeof m.h?.kind !== 'string' || !KINDS.has(m.h.kind)) {
      this.#onError(new Error(`malformed cluster hint: ${text.slice(0, 200)}`));
      return;
    }
    try {
      this.#handler?.(m.h as ClusterHint, m.n);
    } catch (e) {
      this.#onError(e);
    }
  }

  /** Once per failing spell: an outage would otherwise report every turn. */
  #report(e: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#onError(e);
  }
}
