// Routes that wait for the route before them. With several nodes, consecutive messages of a group are
// fanned out by different nodes at once, so a member's route for seq 6 can reach the store before the
// route for seq 5: written then, its text would be queued (and sent) before 5's, and the member's routed
// cursor would stop at the hole. Such a route is handed back by the store and tried again shortly,
// until the one before it is written (milliseconds, usually). One whose predecessor has not come after
// holdMs (the node that had it died, and neither its restart nor the sweep has routed it yet) is dropped,
// not written with the hole: written, its texts would go out before the hole's, out of order. Dropped,
// the member's range stays undecided from the hole on, and the sweep (orphan-sweep.ts) routes all of it
// in seq order — the same as what a stopping node leaves (abandon).
import type { FallbackRoute } from '../store/store.ts';

export interface HeldRoutesOptions {
  /** How long a route waits at most (longer than an ack timeout: its predecessor may be one). */
  holdMs: number;
  submit: (routes: FallbackRoute[]) => Promise<void>;
  now: () => number;
  log: { warn: (o: object, msg: string) => void; error: (o: object, msg: string) => void };
}

export class HeldRoutes {
  readonly #o: HeldRoutesOptions;
  readonly #since = new WeakMap<FallbackRoute, { at: number; tries: number }>();
  readonly #waiting = new Set<Promise<void>>();
  readonly #timers = new Map<NodeJS.Timeout, () => void>();
  #abandoned = false;

  constructor(o: HeldRoutesOptions) {
    this.#o = o;
  }

  hold(routes: FallbackRoute[]): void {
    if (this.#abandoned) return;
    const now = this.#o.now();
    let tries = 0;
    const again: FallbackRoute[] = [];
    for (const r of routes) {
      const s = this.#since.get(r) ?? { at: now, tries: 0 };
      if (now - s.at >= this.#o.holdMs) {
        this.#o.log.warn(
          { groupId: r.groupId, userId: r.userId, seqFrom: r.seqFrom, seqTo: r.seqTo, waitedMs: now - s.at },
          'the route before this one never came: left to the sweep, which routes the range in order',
        );
        continue;
      }
      tries = Math.max(tries, s.tries);
      this.#since.set(r, { at: s.at, tries: s.tries + 1 });
      again.push(r);
    }
    if (again.length === 0) return;
    const delay = Math.min(500, 5 * 2 ** tries);
    const wait = new Promise<boolean>((r) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        r(true);
      }, delay);
      this.#timers.set(t, () => r(false));
    })
      .then((go) => (go ? this.#o.submit(again) : undefined))
      .catch((e) => this.#o.log.error({ err: e }, 'writing held routes failed'))
      .finally(() => this.#waiting.delete(wait));
    this.#waiting.add(wait);
  }

  /**
   * The node is stopping: what still waits is dropped, not written. Those ranges stay undecided in the
   * store, and recovery (this node's restart, or another node's sweep) routes them in order.
   */
  abandon(): void {
    this.#abandoned = true;
    for (const [t, stop] of this.#timers) {
      clearTimeout(t);
      stop();
    }
    this.#timers.clear();
  }

  async idle(): Promise<void> {
    while (this.#waiting.size > 0) await Promise.all(this.#waiting);
  }
}
