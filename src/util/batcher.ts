// Group commit: items submitted during one event-loop turn are written by one call (one transaction,
// one fsync), and each caller's promise settles when that call has. Flushes run one at a time, so a
// batch never overtakes the one before it; what is submitted while a flush runs waits for it and then
// goes as ONE batch (up to maxBatch), not as one batch per turn queued behind it. On a store whose
// write is a round trip (PostgreSQL) that is what keeps batches large under load: per-turn batches
// queued behind each other were each a round trip and an fsync for a handful of items.
export class Batcher<In, Out> {
  readonly #flush: (items: In[]) => Promise<Out[]>;
  readonly #maxBatch: number;
  #pending: { item: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[] = [];
  #scheduled = false;
  #busy = false;
  #running: Promise<void> = Promise.resolve();

  constructor(flush: (items: In[]) => Promise<Out[]>, maxBatch = 1000) {
    this.#flush = flush;
    this.#maxBatch = maxBatch;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves once everything submitted so far is flushed. */
  async idle(): Promise<void> {
    while (this.#scheduled || this.#busy || this.#pending.length > 0) {
      await this.#running;
      await new Promise((r) => setImmediate(r));
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#busy || this.#pending.length === 0) return;
    this.#scheduled = true;
    // A turn's worth of submissions first (and, after a flush, what its callers submit on settling).
    setImmediate(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    const part = this.#pending.splice(0, this.#maxBatch);
    if (part.length === 0) return;
    this.#busy = true;
    this.#running = (async () => {
      try {
        const out = await this.#flush(part.map((p) => p.item));
        for (const [k, p] of part.entries()) p.resolve(out[k] as Out);
      } catch (e) {
        for (const p of part) p.reject(e);
      } finally {
        this.#busy = false;
        this.#schedule();
      }
    })();
  }
}
