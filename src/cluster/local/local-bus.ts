// One node: there is nobody to hint, so publishing costs nothing (a node ignores its own hints anyway:
// its fan-out already did what they ask).
import type { ClusterBus, ClusterHint } from '../../core/ports/cluster-bus.ts';

export class LocalBus implements ClusterBus {
  readonly node: string;

  constructor(node: string) {
    this.node = node;
  }

  async start(_onHint: (hint: ClusterHint, fromNode: string) => void): Promise<void> {}

  publish(_hint: ClusterHint): void {}

  async close(): Promise<void> {}
}
