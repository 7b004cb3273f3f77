// Ranges no node looks after: committed by a node that died before it routed them, or waiting for the
// ack of a socket whose node died. Presence outlives a dead node by one ack timeout (its members count
// as reconnecting, so they can resume elsewhere); once a member is neither live nor reconnecting
// anywhere and the range is older than two ack timeouts, it falls down the ladder here, exactly once:
// routes are conditional on the member's cursors, so two nodes sweeping the same range route it once.
import type { PresenceRegistry } from '../presence/presence.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { DeliveryEngine } from './delivery-engine.ts';
import type { ClusterBus } from './ports/cluster-bus.ts';
import type { AckDeadlines } from './ports/live-delivery.ts';

export interface OrphanSweepDeps {
  store: Store;
  presence: PresenceRegistry;
  tracker: AckDeadlines;
  delivery: DeliveryEngine;
  bus: ClusterBus;
  clock: Clock;
  liveAckTimeoutMs: number;
  /** How long the sweeping node's lease lasts without a pass (a few sweep intervals). */
  leaseMs: number;
}

export class OrphanSweep {
  readonly #d: OrphanSweepDeps;

  constructor(deps: OrphanSweepDeps) {
    this.#d = deps;
  }

  /**
   * One pass; returns how many ranges fell. One node sweeps at a time (a named lease, held while it keeps
   * sweeping, taken over when it stops), so a range is never noted twice in the trail. Runs on the fan-out
   * chain, so order holds per member.
   */
  async run(limit = 500): Promise<number> {
    const now = this.#d.clock.now();
    if (!(await this.#d.store.leases.hold('orphan-sweep', now, now + this.#d.leaseMs))) return 0;
    return this.#d.delivery.serialized(() => this.#sweep(limit));
  }

  async #sweep(limit: number): Promise<number> {
    const d = this.#d;
    const now = d.clock.now();
    const ranges = await d.store.delivery.unrouted({ firstBefore: now - 2 * d.liveAckTimeoutMs, limit });
    if (ranges.length === 0) return 0;
    const presence = await d.presence.snapshot(
      ranges.map((r) => r.userId),
      now,
    );
    let fell = 0;
    for (const r of ranges) {
      // A deadline here, a socket or a reconnect anywhere: someone looks after it.
      if (d.tracker.pending(r.userId, r.groupId)) continue;
      const p = presence.get(r.userId);
      if (p?.recentlyLive) continue;
      if (p && p.liveConnections > 0) {
        // Live, yet nothing moved for two ack timeouts: the node holding the socket never heard that the
        // member joined (a lost hint). Hinting it again makes that node follow the group from the
        // member's cursor.
        d.bus.publish({ kind: 'membership', groupId: r.groupId, userId: r.userId, change: 'joined' });
        continue;
      }
      await d.store.delivery.addTrail([
        {
          groupId: r.groupId,
          userId: r.userId,
          seqFrom: r.fromSeq,
          seqTo: r.toSeq,
          rung: 'live',
          outcome: 'no_ack',
          reason: 'no node holds a live connection or a deadline for it (a node stopped)',
          at: now,
        },
      ]);
      await d.delivery.routeRange(r.groupId, r.userId, r.fromSeq, r.toSeq, { liveTimedOut: true });
      fell++;
    }
    return fell;
  }
}
