// Runs tasks one at a time per key, in arrival order, and different keys in parallel. Keyed by phone
// number it orders inbound texts (a gateway that redelivers a text while the first copy is still being
// handled, or delivers two commands from one phone at once, must not have them interleave: the
// duplicate check and "CREATE, then INVITE" both assume one text finishes before the next starts) and
// outbound ones (a later text to a phone must not overtake an earlier one inside the sender's window).
export class KeyedChain {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    // The tail never rejects (a failed task must not block the key), and is dropped once it is the last.
    const tail = next.catch(() => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }

  /** Keys with work queued or running (for tests: the map must not grow without bound). */
  get size(): number {
    return this.#tails.size;
  }
}
