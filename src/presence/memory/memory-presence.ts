// Single-node presence in memory: live connection counts and last inbox fetch per user.
import type { MemberPresence } from '../../domain/routing.ts';
import type { PresenceRegistry } from '../presence.ts';

export class MemoryPresence implements PresenceRegistry {
  readonly #live = new Map<number, number>();
  readonly #lastFetch = new Map<number, number>();
  /** When a user's last live connection closed. */
  readonly #liveEnded = new Map<number, number>();
  readonly #webOnlineTtlMs: number;
  readonly #reconnectGraceMs: number;
  readonly #now: () => number;

  /** reconnectGraceMs: how long after its last socket closed a member still counts as reconnecting. */
  constructor(webOnlineTtlMs: number, reconnectGraceMs = 0, now: () => number = Date.now) {
    this.#webOnlineTtlMs = webOnlineTtlMs;
    this.#reconnectGraceMs = reconnectGraceMs;
    this.#now = now;
  }

  async snapshot(userIds: readonly number[], now: number): Promise<Map<number, MemberPresence>> {
    const out = new Map<number, MemberPresence>();
    for (const id of userIds) {
      const live = this.#live.get(id) ?? 0;
      const fetched = this.#lastFetch.get(id);
      const webOnline = fetched !== undefined && now - fetched <= this.#webOnlineTtlMs;
      const ended = this.#liveEnded.get(id);
      const recentlyLive = live === 0 && ended !== undefined && now - ended <= this.#reconnectGraceMs;
      if (live > 0 || webOnline || recentlyLive)
        out.set(id, { liveConnections: live, webOnline, recentlyLive });
    }
    return out;
  }

  liveChanged(userId: number, delta: 1 | -1): void {
    const n = (this.#live.get(userId) ?? 0) + delta;
    if (n <= 0) {
      this.#live.delete(userId);
      this.#liveEnded.set(userId, this.#now());
      if (this.#liveEnded.size > 100_000) this.#liveEnded.clear();
    } else {
      this.#live.set(userId, n);
    }
  }

  webFetched(userId: number, now: number): void {
    this.#lastFetch.set(userId, now);
  }

  async close(): Promise<void> {}
}
