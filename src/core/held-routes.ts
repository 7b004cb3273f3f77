// Routes that wait for the route before them. With several nodes, consecutive messages of a group are
// fanned out by different nodes at once, so a member's route for seq 6 can reach the store before the
// route for seq 5: written then, its text would be queued (and sent) before 5's, and the member's routed
// cursor would stop at the hole. Such a route is handed back by the store and tried again shortly,
// until the one before it is written (milliseconds, usually); one whose predecessor never comes (the
// node that had it died) is written anyway after holdMs, leaving the hole to the sweep.
import type { FallbackRoute } from '../store/store.ts';

export interface HeldRoutesOptions {
  /** How long a route waits at most (longer than an ack timeout: its predecessor may be one). */
  holdMs: number;
  submit: (routes: FallbackRoute[]) => Promise<void>;
  now: () => number;
  log: { error: (o: object, msg: string) => void };
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
    const now = this.#o.now();
    let tries = 0;
    const again = routes.map((r) => {
      const s = this.#since.get(r) ?? { at: now, tries: 0 };
      tries = Math.max(tries, s.tries);
      // Waited long enough: written with the hole (the sweep routes what is left in it).
      const next: FallbackRoute = now - s.at >= this.#o.holdMs ? { ...r, afterEarlier: false } : { ...r };
      this.#since.set(next, { at: s.at, tries: s.tries + 1 });
      return next;
    });
    if (this.#abandoned) return;
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
