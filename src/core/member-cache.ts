// Active members per group, cached for fan-out so that a message to 1,000 members costs no member query.
// Invalidated on every membership or opt-out change made through this node; with several nodes the
// change is also hinted to the others (onInvalidate), and entries expire after maxAgeMs in case a hint
// was lost.
import type { Membership } from '../domain/group.ts';
import type { Store } from '../store/store.ts';

export interface MemberCacheOptions {
  /** How long an entry may be used (several nodes: a lost hint heals within this); default forever. */
  maxAgeMs?: number;
  /** A change made through this node (null: every group), for the other nodes. */
  onInvalidate?: (groupId: number | null) => void;
  now?: () => number;
}

export class MemberCache {
  readonly #store: Store;
  readonly #o: MemberCacheOptions;
  readonly #cache = new Map<number, { at: number; p: Promise<Membership[]> }>();

  constructor(store: Store, o: MemberCacheOptions = {}) {
    this.#store = store;
    this.#o = o;
  }

  active(groupId: number): Promise<Membership[]> {
    const now = this.#o.maxAgeMs === undefined ? 0 : (this.#o.now ?? Date.now)();
    const hit = this.#cache.get(groupId);
    if (hit && (this.#o.maxAgeMs === undefined || now - hit.at <= this.#o.maxAgeMs)) return hit.p;
    const p = this.#store.groups.members(groupId, ['active']);
    this.#cache.set(groupId, { at: now, p });
    p.catch(() => this.#cache.delete(groupId));
    return p;
  }

  /** A change made through this node; `fromPeer`: another node's, already hinted. */
  invalidate(groupId: number, fromPeer = false): void {
    this.#cache.delete(groupId);
    if (!fromPeer) this.#o.onInvalidate?.(groupId);
  }

  invalidateAll(fromPeer = false): void {
    this.#cache.clear();
    if (!fromPeer) this.#o.onInvalidate?.(null);
  }
}
