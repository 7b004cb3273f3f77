// Flow control towards the SMSC: a window of unanswered submits and a pacer that spaces every PDU.
import { performance } from 'node:perf_hooks';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** At most `size` holders at once; waiters are served in arrival order. */
export class Window {
  readonly size: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.size = size;
  }

  get inFlight(): number {
    return this.#held;
  }

  async acquire(): Promise<void> {
    if (this.#held < this.size) {
      this.#held++;
      return;
    }
    // The releaser hands its slot straight to the next waiter, so #held stays correct.
    await new Promise<void>((r) => this.#waiting.push(r));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held--;
  }
}

// Two per cent slower than the configured rate, so that network jitter between Qun and the SMSC cannot
// squeeze one PDU too many into any one-second window the SMSC measures.
const MARGIN = 1.02;

/**
 * Spaces PDUs at least 1/TPS apart, measured from when each was actually let through (a late timer
 * never causes a burst afterwards). FIFO. TPS 0 means no limit.
 */
export class Pacer {
  readonly #intervalMs: number;
  #nextAt = 0;
  #tail: Promise<void> = Promise.resolve();

  constructor(tps: number) {
    this.#intervalMs = tps > 0 ? (1000 / tps) * MARGIN : 0;
  }

  next(): Promise<void> {
    if (this.#intervalMs === 0) return Promise.resolve();
    const turn = this.#tail.then(async () => {
      for (let now = performance.now(); now < this.#nextAt; now = performance.now()) {
        await sleep(Math.ceil(this.#nextAt - now));
      }
      this.#nextAt = performance.now() + this.#intervalMs;
    });
    this.#tail = turn;
    return turn;
  }
}
