// Single-node presence in memory: live connection counts and last inbox fetch per user.
import type { MemberPresence } from '../../domain/routing.ts';
import type { PresenceRegistry } from '../presence.ts';

export class MemoryPresence implements PresenceRegistry {
  readonly #live = new Map<number, number>();
  readonly #lastFetch = new Map<number, number>();
  readonly #webOnlineTtlMs: number;

  constructor(webOnlineTtlMs: number) {
    this.#webOnlineTtlMs = webOnlineTtlMs;
  }

  async snapshot(userIds: readonly number[], now: number): Promise<Map<number, MemberPresence>> {
    const out = new Map<number, MemberPresence>();
    for (const id of userIds) {
      const live = this.#live.get(id) ?? 0;
      const fetched = this.#lastFetch.get(id);
      const webOnline = fetched !== undefined && now - fetched <= this.#webOnlineTtlMs;
      if (live > 0 || webOnline) out.set(id, { liveConnections: live, webOnline });
    }
    return out;
  }

  liveChanged(userId: number, delta: 1 | -1): void {
    const n = (this.#live.get(userId) ?? 0) + delta;
    if (n <= 0) this.#live.delete(userId);
    else this.#live.set(userId, n);
  }

  webFetched(userId: number, now: number): void {
    this.#lastFetch.set(userId, now);
  }

  async close(): Promise<void> {}
}
