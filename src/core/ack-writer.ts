// Live acks on their way to the store: coalesced per member (the highest seq wins) and written together,
// so a 1,000-member fan-out costs one write per member per write, not per ack. A write follows on the
// next turn when none ran lately; under load writes are spaced so that one write carries several
// messages' acks (each member's cursor and trail row once) instead of one per message, and writing acks
// takes at most about a tenth of the time. The deadlines do not wait for it: they move in memory when
// the ack arrives. An ack lost in a crash only means a redelivery on resume, never a loss.
import type { Store } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';

/**
 * Least time from the start of one ack write to the next. At 200 messages/s to 100 live members every
 * message's acks were a write of their own: 100 cursor updates and 100 trail rows per message.
 */
export const MIN_WRITE_GAP_MS = 25;
/**
 * A write that took d ms is followed by the next one no sooner than WRITE_SPACING × d after it began:
 * at 20 messages/s to 1,000 members a write per message (1,000 rows, ~12 ms) was a quarter of the
 * server's time. Bounded, so that the trail and SMS cancels are never more than this behind.
 */
export const WRITE_SPACING = 10;
export const MAX_WRITE_GAP_MS = 1_000;

export class AckWriter {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #log: { error: (o: object, msg: string) => void };
  /** Acks not yet written: group → user → highest seq. */
  #acks = new Map<number, Map<number, number>>();
  #count = 0;
  #flush: Promise<void> | undefined;
  /** When the last write began, on `#elapsed` (real time: it paces I/O, not the domain's clock). */
  #lastWrite = Number.NEGATIVE_INFINITY;
  #gap = MIN_WRITE_GAP_MS;
  /** Ends the wait for the next write early (idle: a stop must not wait out the gap). */
  #wake: (() => void) | undefined;
  readonly #elapsed: () => number;

  constructor(
    store: Store,
    clock: Clock,
    metrics: Metrics,
    log: { error: (o: object, msg: string) => void },
    elapsed: () => number = () => performance.now(),
  ) {
    this.#elapsed = elapsed;
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
    this.#schedule();
  }

  #schedule(): void {
    if (this.#flush) return;
    const wait = this.#lastWrite + this.#gap - this.#elapsed();
    const turn = new Promise<void>((r) => {
      if (wait <= 0) return setImmediate(r);
      const timer = setTimeout(r, wait);
      this.#wake = () => {
        clearTimeout(timer);
        r();
      };
    });
    this.#flush = turn.then(() => this.#write());
  }

  /** Writes at once if the member has acks waiting here (so that a read of their cursors sees them). */
  async writtenFor(userId: number): Promise<void> {
    for (const byUser of this.#acks.values()) if (byUser.has(userId)) return this.idle();
  }

  /** Writes what is pending now, without waiting for the gap; resolves once all of it is written. */
  async idle(): Promise<void> {
    while (this.#flush) {
      this.#wake?.();
      await this.#flush;
    }
  }

  async #write(): Promise<void> {
    this.#wake = undefined;
    this.#lastWrite = this.#elapsed();
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
      const took = this.#elapsed() - this.#lastWrite;
      this.#gap = Math.min(MAX_WRITE_GAP_MS, Math.max(MIN_WRITE_GAP_MS, WRITE_SPACING * took));
      this.#flush = undefined;
      if (this.#acks.size > 0) this.#schedule();
    }
  }
}
