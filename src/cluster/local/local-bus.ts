// The cluster bus of a single node: a published hint comes back to this node's own handler, on a later
// turn (as it would over Redis), and goes nowhere else. Nothing to connect, nothing to lose.
import type { ClusterBus, ClusterHint } from '../../core/ports/cluster-bus.ts';

export interface LocalBusOptions {
  node: string;
  /** A handler that threw (the hint is delivered on its own turn, so nobody else would see it). */
  onError: (e: unknown) => void;
}

export class LocalBus implements ClusterBus {
  readonly node: string;
  readonly #onError: (e: unknown) => void;
  #handler: ((hint: ClusterHint, fromNode: string) => void) | undefined;

  constructor(o: LocalBusOptions) {
    this.node = o.node;
    this.#onError = o.onError;
  }

  async start(onHint: (hint: ClusterHint, fromNode: string) => void): Promise<void> {
    this.#handler = onHint;
  }

  publish(hint: ClusterHint): void {
    if (!this.#handler) return;
    setImmediate(() => {
      try {
        this.#handler?.(hint, this.node);
      } catch (e) {
        this.#onError(e);
      }
    });
  }

  async close(): Promise<void> {
    this.#handler = undefined;
  }
}
