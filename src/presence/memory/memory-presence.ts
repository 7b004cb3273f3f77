// Single-node presence in memory: live connection counts and last inbox fetch per user. Lost with the
// process; the durable engine (presence/durable/) wraps it and keeps the entries in the store.
import type { MemberPresence } from '../../domain/routing.ts';
import type { PresenceRegistry } from '../presence.ts';

export class MemoryPresence implements PresenceRegistry {
  readonly #live = new Map<number, number>();
  readonly #lastFetch = new Map<number, number>();
  /** Until when a user whose last live connection closed still counts as reconnecting. */
  readonly #reconnectUntil = new Map<number, number>();
  readonly #webOnlineTtlMs: number;
  readonly #reconnectGraceMs: number;
  readonly #now: () => number;

  /** reconnectGraceMs: how long after its last socket closed a member still counts as reconnecting. */
  constructor(webOnlineTtlMs: number, reconnectGraceMs = 0, now: () => number = Date.now) {
    this.#webOnlineTtlMs = webOnlineTtlMs;
    this.#reconnectGraceMs = reconnectGraceMs;
    this.#now = now;
  }

  async start(): Promise<void> {}

  async snapshot(userIds: readonly number[], now: number): Promise<Map<number, MemberPresence>> {
    const out = new Map<number, MemberPresence>();
    for (const id of userIds) {
      const live = this.#live.get(id) ?? 0;
      const fetched = this.#lastFetch.get(id);
      const webOnline = fetched !== undefined && now - fetched <= this.#webOnlineTtlMs;
      const until = this.#reconnectUntil.get(id);
      const recentlyLive = live === 0 && until !== undefined && now <= until;
      if (live > 0 || webOnline || recentlyLive)
        out.set(id, { liveConnections: live, webOnline, recentlyLive });
    }
    return out;
  }

  /** Returns the number of live connections the user now has on this node. */
  liveChanged(userId: number, delta: 1 | -1): number {
    const n = (this.#live.get(userId) ?? 0) + delta;
    if (n <= 0) {
      this.#live.delete(userId);
      this.reconnecting(userId, this.#now() + this.#reconnectGraceMs);
      return 0;
    }
    this.#live.set(userId, n);
    return n;
  }

  /** The user counts as reconnecting until `until` (a socket closed, or was open when the node stopped). */
  reconnecting(userId: number, until: number): void {
    this.#reconnectUntil.set(userId, until);
    if (this.#reconnectUntil.size > 100_000) {
      const now = this.#now();
      for (const [id, u] of this.#reconnectUntil) if (u < now) this.#reconnectUntil.delete(id);
    }
  }

  webFetched(userId: number, now: number): void {
    this.#lastFetch.set(userId, now);
  }

  /** Users with at least one live connection on this node. */
  liveUsers(): IterableIterator<number> {
    return this.#live.keys();
  }

  async close(): Promise<void> {}
}
