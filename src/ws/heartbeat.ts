// One heartbeat for every live socket of a node, instead of a timer per socket (a Timeout and its
// closure are a good part of an idle connection's memory). The sockets are spread over SLOTS slots and
// one timer beats a slot every interval / SLOTS, so each socket is still beaten once per interval and
// no single turn pings every socket at once (100,000 pings in one turn would stall the event loop).

export interface Beating {
  /** Called once per interval: ping, or give up on a socket that did not answer the last ping. */
  beat(): void;
}

const SLOTS = 16;

export class HeartbeatSweep {
  readonly #slots: Set<Beating>[] = Array.from({ length: SLOTS }, () => new Set());
  readonly #slotOf = new Map<Beating, Set<Beating>>();
  readonly #tickMs: number;
  readonly intervalMs: number;
  #next = 0;
  #tick = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
    this.#tickMs = Math.max(1, Math.floor(intervalMs / SLOTS));
  }

  get size(): number {
    return this.#slotOf.size;
  }

  add(b: Beating): void {
    if (this.#slotOf.has(b)) return;
    // Round robin: slots stay within one socket of each other as sockets come.
    const slot = this.#slots[this.#next]!;
    this.#next = (this.#next + 1) % SLOTS;
    slot.add(b);
    this.#slotOf.set(b, slot);
    this.#timer ??= setInterval(() => this.#beatSlot(), this.#tickMs);
  }

  delete(b: Beating): void {
    const slot = this.#slotOf.get(b);
    if (!slot) return;
    slot.delete(b);
    this.#slotOf.delete(b);
    if (this.#slotOf.size === 0) this.stop();
  }

  /** Stops the timer (it starts again with the next socket). */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beatSlot(): void {
    const slot = this.#slots[this.#tick]!;
    this.#tick = (this.#tick + 1) % SLOTS;
    // A beat may close its socket, which deletes it from the slot: a Set's iteration allows that.
    for (const b of slot) b.beat();
  }
}
