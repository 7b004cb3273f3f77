// Active members per group, cached for fan-out so that a message to 1,000 members costs no member query.
// Invalidated on every membership or opt-out change made through this node.
import type { Membership } from '../domain/group.ts';
import type { Store } from '../store/store.ts';

export class MemberCache {
  readonly #store: Store;
  readonly #cache = new Map<number, Promise<Membership[]>>();

  constructor(store: Store) {
    this.#store = store;
  }

  active(groupId: number): Promise<Membership[]> {
    let p = this.#cache.get(groupId);
    if (!p) {
      p = this.#store.groups.members(groupId, ['active']);
      this.#cache.set(groupId, p);
      p.catch(() => this.#cache.delete(groupId));
    }
    return p;
  }

  invalidate(groupId: number): void {
    this.#cache.delete(groupId);
  }

  invalidateAll(): void {
    this.#cache.clear();
  }
}
