// Presence kept in the store: answers from memory (this node's own sockets and fetches), and writes
// each change as an entry with an expiry, so that after a crash or a stop the restarted node finds who
// was live (now reconnecting for one ack timeout) and who was web-online (for the rest of the TTL).
// Writes are coalesced per event-loop turn and never block the caller: presence is a hint, and a lost
// write costs a fallback, never a message.
import type { MemberPresence } from '../../domain/routing.ts';
import type { PresenceEntry, PresenceKind, PresenceStore } from '../../store/store.ts';
import { MemoryPresence } from '../memory/memory-presence.ts';
import type { PresenceRegistry } from '../presence.ts';

export interface DurablePresenceOptions {
  node: string;
  webOnlineTtlMs: number;
  /** One live ack timeout: how long a closed socket may take to resume. */
  reconnectGraceMs: number;
  /** How often this node's live entries are extended; they expire after three missed refreshes. */
  refreshMs: number;
  now: () => number;
  onError: (e: unknown) => void;
}

type Op = { put: PresenceEntry } | { drop: Pick<PresenceEntry, 'userId' | 'node' | 'kind'> };

export class DurablePresence implements PresenceRegistry {
  readonly #store: PresenceStore;
  readonly #o: DurablePresenceOptions;
  readonly #memory: MemoryPresence;
  /** Pending writes, one per member and kind: the last change wins. */
  #ops = new Map<string, Op>();
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(store: PresenceStore, o: DurablePresenceOptions) {
    this.#store = store;
    this.#o = o;
    this.#memory = new MemoryPresence(o.webOnlineTtlMs, o.reconnectGraceMs, o.now);
  }

  async start(): Promise<void> {
    const now = this.#o.now();
    await this.#store.restart(this.#o.node, now + this.#o.reconnectGraceMs);
    for (const e of await this.#store.active(now)) {
      if (e.kind === 'web') {
        this.#memory.webFetched(e.userId, e.expiresAt - this.#o.webOnlineTtlMs);
      } else if (e.node === this.#o.node) {
        // Entries of other nodes are theirs to keep; on one node every entry is ours.
        this.#memory.reconnecting(e.userId, e.expiresAt);
      }
    }
    await this.#store.sweep(now);
    this.#timer = setInterval(() => this.#refresh(), this.#o.refreshMs);
    this.#timer.unref();
  }

  snapshot(userIds: readonly number[], now: number): Promise<Map<number, MemberPresence>> {
    return this.#memory.snapshot(userIds, now);
  }

  liveChanged(userId: number, delta: 1 | -1): void {
    const n = this.#memory.liveChanged(userId, delta);
    const now = this.#o.now();
    if (delta === 1 && n === 1) {
      this.#queue(userId, 'live', now + 3 * this.#o.refreshMs);
      this.#queue(userId, 'reconnecting', undefined);
    } else if (n === 0) {
      this.#queue(userId, 'reconnecting', now + this.#o.reconnectGraceMs);
      this.#queue(userId, 'live', undefined);
    }
  }

  webFetched(userId: number, now: number): void {
    this.#memory.webFetched(userId, now);
    // Every fetch is written (coalesced per turn): an inbox pull already writes, and a restart must find
    // the member web-online for exactly the rest of the TTL.
    this.#queue(userId, 'web', now + this.#o.webOnlineTtlMs);
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#flushNow();
  }

  #queue(userId: number, kind: PresenceKind, expiresAt: number | undefined): void {
    const node = this.#o.node;
    this.#ops.set(
      `${userId}:${kind}`,
      expiresAt === undefined ? { drop: { userId, node, kind } } : { put: { userId, node, kind, expiresAt } },
    );
    this.#flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#flushNow());
  }

  async #flushNow(): Promise<void> {
    while (this.#ops.size > 0) {
      const ops = [...this.#ops.values()];
      this.#ops = new Map();
      const put: PresenceEntry[] = [];
      const drop: Pick<PresenceEntry, 'userId' | 'node' | 'kind'>[] = [];
      for (const op of ops) {
        if ('put' in op) put.push(op.put);
        else drop.push(op.drop);
      }
      await this.#store.write(put, drop).catch(this.#o.onError);
    }
    this.#flushing = undefined;
  }

  /** The heartbeat: this node's live entries stay fresh while it runs; old entries are swept. */
  #refresh(): void {
    const now = this.#o.now();
    void this.#store
      .refresh(this.#o.node, now + 3 * this.#o.refreshMs)
      .then(() => this.#store.sweep(now - this.#o.webOnlineTtlMs))
      .catch(this.#o.onError);
  }
}
