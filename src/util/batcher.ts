// Group commit: items submitted during one event-loop turn are written by one call (one transaction,
// one fsync), and each caller's promise settles when that call has. Flushes run one at a time, so a
// batch never overtakes the one before it.
export class Batcher<In, Out> {
  readonly #flush: (items: In[]) => Promise<Out[]>;
  readonly #maxBatch: number;
  #pending: { item: In; resolve: (o: Out) => void; reject: (e: unknown) => void }[] = [];
  #scheduled = false;
  #running: Promise<void> = Promise.resolve();

  constructor(flush: (items: In[]) => Promise<Out[]>, maxBatch = 1000) {
    this.#flush = flush;
    this.#maxBatch = maxBatch;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#drain());
      }
    });
  }

  /** Resolves once everything submitted so far is flushed. */
  async idle(): Promise<void> {
    while (this.#scheduled || this.#pending.length > 0) await new Promise((r) => setImmediate(r));
    await this.#running;
  }

  #drain(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    for (let i = 0; i < batch.length; i += this.#maxBatch) {
      const part = batch.slice(i, i + this.#maxBatch);
      this.#running = this.#running.then(async () => {
        try {
          const out = await this.#flush(part.map((p) => p.item));
          for (const [k, p] of part.entries()) p.resolve(out[k] as Out);
        } catch (e) {
          for (const p of part) p.reject(e);
        }
      });
    }
  }
}
