// Ack timeouts: a member's range sent live but not acked in time falls to the inbox or SMS, unless the
// member came back on a fresh connection that is catching it up, acked it meanwhile (elsewhere), or is
// live on another node now. The stale sockets are closed. Runs on the fan-out chain (delivery-engine.ts),
// so a fallen range is routed before any message committed after it.

import type { DeliveryDeps } from './delivery-engine.ts';
import type { AckTimeout } from './ports/live-delivery.ts';

type Deps = Pick<
  DeliveryDeps,
  'clock' | 'hub' | 'tracker' | 'store' | 'presence' | 'metrics' | 'liveAckTimeoutMs'
>;

/** `routeRange` routes the fallen range afresh (DeliveryEngine.routeRange with liveTimedOut). */
export async function fallThrough(
  d: Deps,
  timeouts: AckTimeout[],
  routeRange: (groupId: number, userId: number, fromSeq: number, toSeq: number) => Promise<void>,
): Promise<void> {
  const now = d.clock.now();
  for (const t of timeouts) {
    const stale = now - d.liveAckTimeoutMs;
    d.hub.closeUnresponsive(t.userId, stale);
    // The member came back on a fresh connection that is catching up on this range (a reconnect after a
    // cut, a blackhole, a restart): the deadline was the old socket's. The new one gets one full ack
    // timeout of its own (opened after the deadline was set, so at most once per reconnect), or a frame
    // it is about to raise as new would also be texted.
    if (d.hub.freshSince(t.userId, t.groupId, t.armedAt)) {
      d.tracker.sent(t.userId, t.groupId, t.toSeq, t.fromSeq, now);
      continue;
    }
    const m = await d.store.groups.member(t.groupId, t.userId);
    const from = Math.max(t.fromSeq, m?.ackedSeq ?? 0);
    // Acked meanwhile (on another of the member's devices, perhaps through another node): settled.
    if (from >= t.toSeq) continue;
    // The member is live on another node now: that node's log read or tail delivers the range and
    // keeps its deadline; falling through here as well would text what it is delivering live.
    if (await liveElsewhere(d, t.userId, now)) continue;
    d.metrics.deliveries.inc({ rung: 'live', outcome: 'ack_timeout' }, t.toSeq - from);
    await d.store.delivery.addTrail([
      {
        groupId: t.groupId,
        userId: t.userId,
        seqFrom: from,
        seqTo: t.toSeq,
        rung: 'live',
        outcome: 'no_ack',
        reason: `no ack within ${d.liveAckTimeoutMs} ms`,
        at: now,
      },
    ]);
    await routeRange(t.groupId, t.userId, from, t.toSeq);
  }
}

async function liveElsewhere(d: Deps, userId: number, now: number): Promise<boolean> {
  const p = (await d.presence.snapshot([userId], now)).get(userId);
  return (p?.liveConnections ?? 0) > d.hub.localConnections(userId);
}
