// Live acks on their way to the store: coalesced per member (the highest seq wins) and written together
// once per event-loop turn, so a 1,000-member fan-out costs one write per member per turn, not per ack.
// An ack lost in a crash only means a redelivery on resume, never a loss.
import type { Store } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';

export class AckWriter {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #log: { error: (o: object, msg: string) => void };
  /** Acks not yet written: group → user → highest seq. */
  #acks = new Map<number, Map<number, number>>();
  #count = 0;
  #flush: Promise<void> | undefined;

  constructor(
    store: Store,
    clock: Clock,
    metrics: Metrics,
    log: { error: (o: object, msg: string) => void },
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#metrics = metrics;
    this.#log = log;
  }

  add(userId: number, groupId: number, seq: number): void {
    let byUser = this.#acks.get(groupId);
    if (!byUser) {
      byUser = new Map();
      this.#acks.set(groupId, byUser);
    }
    if (seq > (byUser.get(userId) ?? 0)) byUser.set(userId, seq);
    this.#count++;
    this.#flush ??= new Promise<void>((r) => setImmediate(r)).then(() => this.#write());
  }

  /** Resolves when every ack added so far is written (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#flush) await this.#flush;
  }

  async #write(): Promise<void> {
    const pending = this.#acks;
    const count = this.#count;
    this.#acks = new Map();
    this.#count = 0;
    const rows: { groupId: number; userId: number; seq: number }[] = [];
    for (const [groupId, byUser] of pending)
      for (const [userId, seq] of byUser) rows.push({ groupId, userId, seq });
    try {
      const cancelled = await this.#store.delivery.ack(rows, this.#clock.now());
      this.#metrics.deliveries.inc({ rung: 'live', outcome: 'acked' }, count);
      if (cancelled > 0) this.#metrics.deliveries.inc({ rung: 'sms', outcome: 'cancelled' }, cancelled);
    } catch (e) {
      this.#log.error({ err: e }, 'writing acks failed');
    } finally {
      this.#flush = undefined;
      if (this.#acks.size > 0)
        this.#flush = new Promise<void>((r) => setImmediate(r)).then(() => this.#write());
    }
  }
}
