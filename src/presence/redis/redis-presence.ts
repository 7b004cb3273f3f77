// Cluster-wide presence in Redis: every node writes its own members' entries (with expiry) and reads
// everyone's, so a snapshot sums a member's live connections over all nodes.
// The key scheme is in redis-presence-scripts.ts.
//
// Why it holds:
// - A live entry lives 3 refreshes (refreshMs); each heartbeat rewrites the node's entries. Beside it,
//   every write of a live entry also writes a shadow reconnecting entry that expires one grace
//   (reconnectGraceMs, one ack timeout) later. A node that dies without cleanup stops refreshing: its
//   live entries lapse, and for one grace after that its members are reconnecting, then nothing. No
//   detector, no clean-up by other nodes: expiry alone gives "presence outlives the node".
// - A clean close drops the live entry and writes reconnecting for one grace. A node that starts
//   again under the same id turns its old live entries into reconnecting for one grace (start()).
// - Redis holds no truth: if it restarts empty, or is unreachable, the snapshot must not answer "not
//   live" for someone who is. While a snapshot fails, and until warmupMs after a new epoch appeared
//   (every node has reconnected and rewritten all its entries by then: ≥ 2 refreshes), a member with
//   no live connection known answers recentlyLive. Routing then waits one ack timeout and decides
//   again: latency, never a message. A node rewrites all its entries on every reconnect and whenever
//   it sees a new epoch (a restart it missed, a FLUSHALL).
// - This node's own entries are answered from memory (never behind the writes); Redis answers for
//   the others. Writes are coalesced per event-loop turn and never block or throw; errors go to
//   onError, once per failing spell.
// - Node clocks must agree to well within refreshMs (NTP); node ids must be unique (QUN_NODE_ID).
//   One Redis (or a Sentinel pair), not Redis Cluster: the scripts declare their keys, but one call
//   reads many members' hashes and the epoch, which Cluster would spread over slots.
import type { Redis } from 'ioredis';
import type { MemberPresence } from '../../domain/routing.ts';
import type { PresenceRegistry } from '../presence.ts';
import { RESTART, runScript, SNAPSHOT, WRITE } from './redis-presence-scripts.ts';

export { connectRedis, type RedisConnectOptions } from './redis-connect.ts';

export interface RedisPresenceOptions {
  node: string;
  /** Key prefix shared by the nodes of one installation (default `qun:`). */
  prefix?: string;
  webOnlineTtlMs: number;
  /** One live ack timeout: how long a closed socket (or a dead node's socket) may take to resume. */
  reconnectGraceMs: number;
  /** How often this node's live entries are rewritten; they expire after three missed refreshes. */
  refreshMs: number;
  /** After Redis came back empty, how long unknown members count as reconnecting (default 3 × refreshMs). */
  warmupMs?: number;
  /** How long other nodes' entries, once read, answer snapshots (default 100 ms; 0 reads every time). */
  remoteCacheMs?: number;
  /** A snapshot round trip longer than this answers "unknown" (default 1000 ms). */
  timeoutMs?: number;
  now: () => number;
  onError: (e: unknown) => void;
}

/** Users per script call: a call blocks Redis while it runs, and Lua's unpack() has a stack limit. */
const CHUNK = 1000;

export class RedisPresence implements PresenceRegistry {
  readonly #redis: Redis;
  readonly #o: Required<RedisPresenceOptions>;
  readonly #liveTtl: number;
  readonly #epochKey: string;
  readonly #indexKey: string;
  /** This node's own state: the truth for its sockets, written to Redis for the others. */
  readonly #live = new Map<number, number>();
  readonly #fetched = new Map<number, number>();
  /** Other nodes' entries as last read: [live elsewhere, web-online until, reconnecting elsewhere]. */
  readonly #remote = new Map<number, { at: number; row: number[] }>();
  readonly #reconnectUntil = new Map<number, number>();
  #dirty = new Set<number>();
  #dirtyWeb = new Set<number>();
  #scheduled = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;
  #epoch: string | undefined;
  #warmUntil = 0;
  /** A write failed: the next heartbeat rewrites everything. */
  #needRewrite = false;
  /** start() could not reach Redis: the old entries of this node are converted once it can. */
  #restartAt: number | undefined;
  #started = false;
  #closed = false;
  #failing = false;
  readonly #onReady = () => this.#reconnected();
  readonly #onConnError = (e: unknown) => this.#report(e);

  constructor(redis: Redis, o: RedisPresenceOptions) {
    this.#redis = redis;
    this.#o = {
      prefix: 'qun:',
      warmupMs: 3 * o.refreshMs,
      timeoutMs: 1000,
      remoteCacheMs: 100,
      ...o,
    };
    this.#liveTtl = 3 * o.refreshMs;
    this.#epochKey = `${this.#o.prefix}epoch`;
    this.#indexKey = `${this.#o.prefix}n:${o.node}`;
  }

  async start(): Promise<void> {
    this.#restartAt = this.#o.now();
    this.#started = true;
    this.#redis.on('error', this.#onConnError);
    if (this.#redis.status === 'ready' || (await this.#ready(this.#o.timeoutMs))) await this.#reconnected();
    else this.#report(new Error('Redis unreachable at start: presence answers "unknown" until it is'));
    // From here on every reconnect rewrites this node's entries (and converts them, if start could not).
    this.#redis.on('ready', this.#onReady);
    if (this.#restartAt !== undefined && this.#redis.status === 'ready') await this.#reconnected();
    this.#timer = setInterval(() => this.#refresh(), this.#o.refreshMs);
    this.#timer.unref();
  }

  async snapshot(userIds: readonly number[], now: number): Promise<Map<number, MemberPresence>> {
    const out = new Map<number, MemberPresence>();
    if (userIds.length === 0) return out;
    // Other nodes' entries read within the last remoteCacheMs are reused: a fan-out per message to a
    // 1,000-member group would otherwise cost Redis milliseconds of CPU per message. Staleness that short
    // is safe: a member who just went live elsewhere reads the log there (texts taken back, `via`), and
    // one who just left is found by the deadline or the sweep.
    const rowOf = new Map<number, number[]>();
    const toRead: number[] = [];
    for (const id of userIds) {
      const hit = this.#remote.get(id);
      if (hit && now - hit.at <= this.#o.remoteCacheMs) rowOf.set(id, hit.row);
      else toRead.push(id);
    }
    let failed = false;
    if (toRead.length > 0) {
      let rows: number[][] | undefined;
      if (this.#redis.status === 'ready') {
        try {
          rows = await this.#bounded(this.#readAll(toRead, now));
          this.#failing = false;
        } catch (e) {
          this.#report(e);
        }
      }
      if (rows === undefined) failed = true;
      else {
        if (this.#remote.size > 200_000) this.#remote.clear();
        toRead.forEach((id, i) => {
          const row = rows[i] ?? [];
          rowOf.set(id, row);
          if (this.#o.remoteCacheMs > 0) this.#remote.set(id, { at: now, row });
        });
      }
    }
    const warming = now < this.#warmUntil;
    for (const id of userIds) {
      const row = rowOf.get(id);
      const [others = 0, webUntil = 0, otherRc = 0] = row ?? [];
      const unknown = warming || (failed && row === undefined);
      const live = others + (this.#live.get(id) ?? 0);
      const fetched = this.#fetched.get(id);
      const webOnline = webUntil >= now || (fetched !== undefined && now - fetched <= this.#o.webOnlineTtlMs);
      const own = this.#reconnectUntil.get(id);
      const recentlyLive = live === 0 && (unknown || otherRc === 1 || (own !== undefined && now <= own));
      if (live > 0 || webOnline || recentlyLive)
        out.set(id, { liveConnections: live, webOnline, recentlyLive });
    }
    return out;
  }

  liveChanged(userId: number, delta: 1 | -1): void {
    const n = (this.#live.get(userId) ?? 0) + delta;
    if (n <= 0) {
      this.#live.delete(userId);
      this.#reconnectUntil.set(userId, this.#o.now() + this.#o.reconnectGraceMs);
    } else {
      this.#live.set(userId, n);
    }
    this.#dirty.add(userId);
    this.#schedule();
  }

  webFetched(userId: number, now: number): void {
    if (now > (this.#fetched.get(userId) ?? 0)) this.#fetched.set(userId, now);
    this.#dirtyWeb.add(userId);
    this.#schedule();
  }

  /** Writes what is pending and stops the heartbeat. The connection stays open: it is the caller's. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#redis.off('ready', this.#onReady);
    this.#redis.off('error', this.#onConnError);
    this.#flush();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Users with at least one live connection on this node. */
  liveUsers(): IterableIterator<number> {
    return this.#live.keys();
  }

  async #readAll(userIds: readonly number[], now: number): Promise<number[][]> {
    const parts: Promise<unknown>[] = [];
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const keys = [this.#epochKey, ...userIds.slice(i, i + CHUNK).map((id) => this.#userKey(id))];
      parts.push(runScript(this.#redis, SNAPSHOT, keys, [now, this.#o.node, this.#candidate(now)]));
    }
    const rows: number[][] = [];
    for (const r of (await Promise.all(parts)) as (string | number)[][]) {
      this.#seeEpoch(String(r[0]));
      for (let j = 1; j < r.length; j += 3) rows.push([Number(r[j]), Number(r[j + 1]), Number(r[j + 2])]);
    }
    return rows;
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  /** Writes the members changed since the last turn. */
  #flush(): void {
    this.#scheduled = false;
    const dirty = this.#dirty;
    const web = this.#dirtyWeb;
    this.#dirty = new Set();
    this.#dirtyWeb = new Set();
    if (dirty.size + web.size === 0) return;
    if (!this.#started || this.#redis.status !== 'ready') {
      // Rewritten whole on reconnect.
      this.#needRewrite = true;
      return;
    }
    const now = this.#o.now();
    const ids = new Set([...dirty, ...web]);
    this.#write([...ids], now, { entries: (id) => dirty.has(id), web: (id) => web.has(id), reset: false });
  }

  /** The heartbeat: extends this node's live entries (all of its entries after a failed write). */
  #refresh(): void {
    const now = this.#o.now();
    for (const [id, until] of this.#reconnectUntil) if (until < now) this.#reconnectUntil.delete(id);
    for (const [id, at] of this.#fetched) if (now - at > this.#o.webOnlineTtlMs) this.#fetched.delete(id);
    // While Redis is away there is nothing to extend; the reconnect rewrites everything.
    if (this.#redis.status !== 'ready') return;
    if (this.#needRewrite) {
      this.#rewriteAll(now);
      return;
    }
    // The index is replaced, so it holds the live and reconnecting members, not every member ever seen.
    const ids = [...new Set([...this.#live.keys(), ...this.#reconnectUntil.keys()])];
    this.#write(ids, now, { entries: () => true, web: () => false, reset: true });
  }

  /** Everything this node holds, written again: after a reconnect, a new epoch, a failed write. */
  #rewriteAll(now: number): void {
    this.#needRewrite = false;
    const ids = [...new Set([...this.#live.keys(), ...this.#reconnectUntil.keys(), ...this.#fetched.keys()])];
    this.#write(ids, now, {
      entries: (id) => this.#live.has(id) || this.#reconnectUntil.has(id),
      web: (id) => this.#fetched.has(id),
      reset: true,
      full: true,
    });
  }

  #write(
    ids: readonly number[],
    now: number,
    what: { entries: (id: number) => boolean; web: (id: number) => boolean; reset: boolean; full?: boolean },
  ): void {
    const indexTtl = this.#liveTtl + this.#o.reconnectGraceMs;
    const chunks: (readonly number[])[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) chunks.push(ids.slice(i, i + CHUNK));
    // A full write with nobody to write still replaces (empties) the index.
    if (chunks.length === 0 && what.reset) chunks.push([]);
    chunks.forEach((chunk, i) => {
      const keys = [this.#epochKey, this.#indexKey, ...chunk.map((id) => this.#userKey(id))];
      const args: (string | number)[] = [
        now,
        this.#o.node,
        this.#candidate(now),
        what.reset && i === 0 ? '1' : '0',
        indexTtl,
      ];
      for (const id of chunk) {
        const count = what.entries(id) ? (this.#live.get(id) ?? 0) : -1;
        const liveUntil = now + this.#liveTtl;
        const rc = this.#reconnectUntil.get(id) ?? 0;
        const rcUntil = count > 0 ? liveUntil + this.#o.reconnectGraceMs : rc >= now ? rc : 0;
        const fetched = what.web(id) ? this.#fetched.get(id) : undefined;
        args.push(
          id,
          count,
          liveUntil,
          rcUntil,
          fetched === undefined ? 0 : fetched + this.#o.webOnlineTtlMs,
        );
      }
      this.#track(
        runScript(this.#redis, WRITE, keys, args).then(
          (ep) => {
            this.#failing = false;
            // A full write that created the epoch has just written everything: no second rewrite.
            this.#seeEpoch(String(ep), what.full);
          },
          (e) => {
            this.#needRewrite = true;
            this.#report(e);
          },
        ),
      );
    });
  }

  /** On every (re)connect: convert what a previous run of this node left, then write everything. */
  async #reconnected(): Promise<void> {
    if (this.#closed) return;
    const now = this.#o.now();
    if (this.#restartAt !== undefined) {
      try {
        await this.#convertRestart(this.#restartAt + this.#o.reconnectGraceMs, now);
        this.#restartAt = undefined;
      } catch (e) {
        this.#report(e);
      }
    }
    this.#rewriteAll(now);
    await Promise.allSettled([...this.#inFlight]);
  }

  async #convertRestart(until: number, now: number): Promise<void> {
    const users = (await this.#redis.smembers(this.#indexKey)).map(Number);
    for (let i = 0; i < users.length; i += CHUNK) {
      const chunk = users.slice(i, i + CHUNK);
      const keys = [this.#epochKey, ...chunk.map((id) => this.#userKey(id))];
      const r = (await runScript(this.#redis, RESTART, keys, [
        now,
        this.#o.node,
        this.#candidate(now),
        until,
      ])) as (string | number)[];
      this.#seeEpoch(String(r[0]));
      chunk.forEach((id, j) => {
        const held = Number(r[j + 1]);
        if (held >= now && !this.#live.has(id)) this.#reconnectUntil.set(id, held);
      });
    }
  }

  /** A new epoch: Redis lost its keys (or this is its first use). Unknown members count as reconnecting. */
  #seeEpoch(ep: string, rewritten = false): void {
    if (ep === this.#epoch) return;
    const first = this.#epoch === undefined;
    this.#epoch = ep;
    const createdAt = Number(ep.split(':')[0]);
    this.#warmUntil = Number.isFinite(createdAt)
      ? createdAt + this.#o.warmupMs
      : this.#o.now() + this.#o.warmupMs;
    if (!first && !rewritten && !this.#closed) this.#rewriteAll(this.#o.now());
  }

  #candidate(now: number): string {
    return `${now}:${Math.random().toString(36).slice(2, 10)}`;
  }

  #userKey(id: number): string {
    return `${this.#o.prefix}u:${id}`;
  }

  #track(p: Promise<unknown>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  #bounded<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer a presence snapshot in ${this.#o.timeoutMs} ms`)),
        this.#o.timeoutMs,
      );
    });
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  #ready(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.#redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      this.#redis.once('ready', onReady);
    });
  }

  /** One report per failing spell: a Redis outage would otherwise log every turn. */
  #report(e: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#o.onError(e);
  }
}
