// The ladder at work: fan-out of each committed message to every member on the rung the routing
// decision picks, fall-through when live acks do not come, crash recovery of undecided ranges, and the
// acks and inbox fetches that settle a member's cursor (cancelling SMS that have not left yet).
import type { GroupInfo } from '../domain/group.ts';
import { untouchedByPolicy } from '../domain/policy.ts';
import { decideRoute, type RouteDecision, shouldEscalate } from '../domain/routing.ts';
import type { PresenceRegistry } from '../presence/presence.ts';
import type { FallbackRoute, Store, StoredMessage, User } from '../store/store.ts';
import { Batcher } from '../util/batcher.ts';
import type { Metrics } from '../util/metrics.ts';
import { fallThrough } from './ack-fall-through.ts';
import { AckWriter } from './ack-writer.ts';
import type { Clock } from './clock.ts';
import { deliveredVia } from './delivered-via.ts';
import { fallbackRoute, nothingFor } from './fallback-route.ts';
import { fanOutLadders } from './fan-out-ladders.ts';
import { type MessageFramer, visibleTo } from './frames.ts';
import { HeldRoutes } from './held-routes.ts';
import type { MemberCache } from './member-cache.ts';
import { policyRuns } from './policy-runs.ts';
import type { PolicyContext, PolicyService } from './policy-service.ts';
import type { ClusterBus } from './ports/cluster-bus.ts';
import type { AckDeadlines, AckTimeout, LiveDelivery } from './ports/live-delivery.ts';
import { previewSmsCost, type SmsCost } from './sms-cost.ts';
import { messageSegments } from './sms-text.ts';

export interface DeliveryDeps {
  store: Store;
  presence: PresenceRegistry;
  hub: LiveDelivery;
  tracker: AckDeadlines;
  members: MemberCache;
  framer: MessageFramer;
  clock: Clock;
  metrics: Metrics;
  /** Preferences, quiet hours, urgent, budget and digests, applied after the ladder's choice. */
  policy: PolicyService;
  /** The number a group's texts come from (its own address, or the single number). */
  smsFrom: (g: GroupInfo) => string;
  /** Single-number mode: texts carry the group number in their tag. */
  singleNumberMode: boolean;
  sms: {
    maxSegments: number;
    inboxUrl: string;
    smartSubstitution: boolean;
    reachable: (phone: string) => boolean;
  };
  reminderDelayMs: number;
  liveAckTimeoutMs: number;
  /** Several nodes: how long a fan-out route waits for the member's route before it (held-routes.ts). */
  holdRoutesMs?: number;
  /** Hints to the other nodes (one node: a local bus). */
  bus: ClusterBus;
  /** Wakes the SMS sender after texts were queued. */
  onSmsQueued: () => void;
  log: { warn: (o: object, msg: string) => void; error: (o: object, msg: string) => void };
}

const RANGE_PAGE = 500;

export class DeliveryEngine {
  readonly #d: DeliveryDeps;
  #chain: Promise<void> = Promise.resolve();
  readonly #routes: Batcher<FallbackRoute[], undefined>;
  readonly #acks: AckWriter;
  readonly #held: HeldRoutes | undefined;

  constructor(deps: DeliveryDeps) {
    this.#d = deps;
    this.#acks = new AckWriter(deps.store, deps.clock, deps.metrics, deps.log);
    this.#held =
      deps.holdRoutesMs === undefined
        ? undefined
        : new HeldRoutes({
            holdMs: deps.holdRoutesMs,
            submit: (r) => this.#routes.submit(r),
            now: () => deps.clock.now(),
            log: deps.log,
          });
    this.#routes = new Batcher(async (batches) => {
      const all = batches.flat();
      const held = all.length > 0 ? await deps.store.delivery.route(all) : [];
      if (held.length > 0) this.#held?.hold(held);
      if (batches.some((b) => b.some((r) => r.sms.length > 0))) deps.onSmsQueued();
      return batches.map(() => undefined);
    });
  }

  /** Fans out committed messages in commit order (one chain per node keeps per-group order). */
  dispatch(group: GroupInfo, msg: StoredMessage, sender: User): Promise<void> {
    // The other nodes' sockets: the hint goes out at once (the message is committed), not after fan-out.
    this.#d.bus.publish({ kind: 'committed', groupId: group.id, seq: msg.seq });
    const run = this.#chain.then(() => this.#fanOut(group, msg, sender));
    this.#chain = run.catch((e) =>
      this.#d.log.error({ err: e, groupId: group.id, seq: msg.seq }, 'fan-out failed'),
    );
    return run;
  }

  async #fanOut(group: GroupInfo, msg: StoredMessage, sender: User): Promise<void> {
    const d = this.#d;
    const now = d.clock.now();
    const members = await d.members.active(group.id);
    const presence = await d.presence.snapshot(
      members.map((m) => m.userId),
      now,
    );
    const frame = d.framer.frame(msg, sender);
    const skipFrame = d.framer.skipFrame(msg);
    const routes: FallbackRoute[] = [];
    const { ladders, policyApplies } = fanOutLadders(
      members,
      msg,
      presence,
      (phone) => d.sms.reachable(phone),
      (u, g) => d.tracker.pending(u, g),
    );
    const policy = policyApplies ? await this.#policyFor(group.id) : undefined;
    // Counted once, and only if some member's decision needs it (an SMS, or a budget to check).
    let counted: number | undefined;
    const segments = () => (counted ??= this.#segments(group, msg, sender));
    let live = 0;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      if (m.userId === msg.senderId) {
        // Their own devices get it; their routed cursor moved in the append's commit — unless, with
        // several nodes, their row was locked then (PostgreSQL skips it): a route of nothing closes that
        // gap, or the routes of the messages after it would wait for it.
        d.hub.deliver(m.userId, group.id, msg.seq, frame, m.ackedSeq, false, now);
        if (this.#held) routes.push(nothingFor(group.id, m.userId, msg.seq, now, 'sent it'));
        continue;
      }
      if (!visibleTo(msg, m)) {
        // Nothing to deliver to this member; the route keeps their routed_seq contiguous so that crash
        // recovery does not look at this message for them again.
        d.hub.deliver(m.userId, group.id, msg.seq, skipFrame, m.ackedSeq, false, now);
        routes.push(nothingFor(group.id, m.userId, msg.seq, now, 'nothing to deliver'));
        continue;
      }
      const route = ladders[i]!;
      const decision = policy
        ? policy.decide(m, route, msg.urgent === true, segments, now)
        : untouchedByPolicy(route)!;
      if (decision.rung === 'live') {
        // Live on another node only: that node hands it over and keeps the deadline. Live here, or live
        // nowhere yet (reconnecting): the deadline is this node's.
        const remoteOnly =
          d.hub.localConnections(m.userId) === 0 && (presence.get(m.userId)?.liveConnections ?? 0) > 0;
        d.hub.deliver(m.userId, group.id, msg.seq, frame, m.ackedSeq, !remoteOnly, now);
        live++;
      } else if (decision.rung !== 'none') {
        routes.push(
          fallbackRoute(
            d,
            group,
            m,
            [{ msg, sender }],
            msg.seq - 1,
            msg.seq,
            decision,
            now,
            // A rung below live was decided by policy, so it was read.
            policy!.digestWindowMs,
          ),
        );
      }
    }
    if (live > 0) d.metrics.deliveries.inc({ rung: 'live', outcome: 'sent' }, live);
    // Not awaited: the next message's fan-out need not wait for this one's fsync. The route batcher
    // writes in submission order, so routes still land in commit order.
    if (routes.length > 0) {
      if (this.#held) for (const r of routes) r.afterEarlier = true;
      this.#routes
        .submit(routes)
        .catch((e) => d.log.error({ err: e, groupId: group.id }, 'writing routes failed'));
    }
  }

  /**
   * Routes a member's range (fromSeq, toSeq] afresh: after a live ack timeout, after a crash, or on
   * escalation. Messages the member sent, may not see, or already has an SMS for are skipped.
   */
  async routeRange(
    groupId: number,
    userId: number,
    fromSeq: number,
    toSeq: number,
    why: { liveTimedOut: boolean; forceSms?: boolean; reason?: string },
  ): Promise<void> {
    const d = this.#d;
    const group = await d.store.groups.byId(groupId);
    const m = await d.store.groups.member(groupId, userId);
    if (!group || !m || m.state !== 'active') return;
    const now = d.clock.now();
    const presence = (await d.presence.snapshot([userId], now)).get(userId) ?? {
      liveConnections: 0,
      webOnline: false,
    };
    const route = decideRoute({
      presence,
      isSender: false,
      smsOptedOut: m.smsOptedOut,
      smsReachable: d.sms.reachable(m.phone),
      liveTimedOut: why.liveTimedOut,
    });
    let ladder: RouteDecision = route;
    if (why.forceSms) {
      const escalate = shouldEscalate({
        groupEscalates: group.escalateToSms,
        smsOptedOut: m.smsOptedOut,
        smsReachable: d.sms.reachable(m.phone),
        unreadCount: toSeq - fromSeq,
      });
      if (!escalate) return;
      ladder = { rung: 'sms', reason: 'offline' };
    }
    if (ladder.rung === 'live') {
      // Live again (reconnected after a crash): the connection's catch-up reads the range from the log.
      d.hub.catchUp(userId, groupId);
      return;
    }
    const policy = await this.#policyFor(groupId);
    for (let after = fromSeq; after < toSeq; ) {
      const page = await d.store.messages.range(groupId, after, toSeq, RANGE_PAGE);
      if (page.length === 0) break;
      const pageEnd = page[page.length - 1]!.seq;
      // One delivery per member and message: what a text or the inbox already delivered is not sent again.
      const delivered = await deliveredVia(d.store, groupId, userId, after, pageEnd);
      const queued =
        ladder.rung === 'sms' ? await this.#queuedTexts(groupId, userId, page) : new Set<number>();
      // Policy decides per message (one may be urgent, the budget may run out within the range): runs of
      // messages with the same decision become one route each, in order.
      const items: ({ msg: StoredMessage; sender: User } | { msg: StoredMessage; sender?: undefined })[] = [];
      for (const msg of page) {
        const mine =
          msg.senderId !== userId && visibleTo(msg, m) && !delivered.has(msg.seq) && !queued.has(msg.seq);
        const sender = mine ? await d.framer.user(msg.senderId) : undefined;
        items.push(sender ? { msg, sender } : { msg });
      }
      const runs = policyRuns(items, {
        decide: (msg, sender) =>
          policy.decide(
            m,
            ladder,
            msg.urgent === true,
            () => (sender ? this.#segments(group, msg, sender) : 0),
            now,
          ),
        smsOnly: why.forceSms === true,
      });
      let from = after;
      for (const run of runs) {
        const r = fallbackRoute(
          d,
          group,
          m,
          run.items,
          from,
          run.to,
          run.decision,
          now,
          policy.digestWindowMs,
        );
        if (why.reason && run.decision.policy === null) r.reason = why.reason;
        if (why.forceSms) {
          r.escalation = true;
          if (run.items.length === 0 || run.decision.rung !== 'sms') r.rung = 'none';
        }
        await this.#routes.submit([r]);
        from = run.to;
      }
      after = pageEnd;
    }
  }

  /** What a message would cost if sent now (see sms-cost.ts). Spends nothing. */
  previewSms(group: GroupInfo, sender: User, body: string, urgent: boolean): Promise<SmsCost> {
    return previewSmsCost(this.#d, group, sender, body, urgent);
  }

  #policyFor(groupId: number): Promise<PolicyContext> {
    return this.#d.policy.context(groupId, (m) => !m.smsOptedOut && this.#d.sms.reachable(m.phone));
  }

  /** Segments one member's text of this message costs (the same for every member). */
  #segments(group: GroupInfo, msg: StoredMessage, sender: User): number {
    return messageSegments(group, msg, sender, this.#d);
  }

  /** Seqs of the page for which the member already has a text waiting in the queue (not handed over yet). */
  async #queuedTexts(groupId: number, userId: number, page: StoredMessage[]): Promise<Set<number>> {
    const out = new Set<number>();
    for (const msg of page) {
      const prior = await this.#d.store.outbound.forMessage(groupId, msg.seq);
      if (prior.some((o) => o.userId === userId && o.state !== 'cancelled')) out.add(msg.seq);
    }
    return out;
  }

  /** Ack timeouts fall through (ack-fall-through.ts), on the fan-out chain. */
  onAckTimeouts(timeouts: AckTimeout[]): Promise<void> {
    if (timeouts.length === 0) return Promise.resolve();
    return this.serialized(() =>
      fallThrough(this.#d, timeouts, (g, u, from, to) =>
        this.routeRange(g, u, from, to, { liveTimedOut: true }),
      ),
    );
  }

  /** Runs work on the fan-out chain: after every fan-out and fall-through queued before it. */
  serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(work);
    this.#chain = run.then(
      () => {},
      (e) => this.#d.log.error({ err: e }, 'delivery work failed'),
    );
    return run;
  }

  /** Resolves once the member's acks received on this node are in the store (before an inbox pull). */
  readonly acksWritten = (userId: number): Promise<void> => this.#acks.writtenFor(userId);

  /** A live client's cumulative ack: the deadline moves at once, the cursor with the next write. */
  ack(userId: number, groupId: number, seq: number): void {
    if (this.#d.tracker.acked(userId, groupId, seq)) this.#acks.add(userId, groupId, seq);
  }

  /**
   * After a restart: every member range that was accepted but never decided waits one ack timeout, as if
   * just sent live, so that members who were live can reconnect and resume; what is not acked by then
   * falls to inbox or SMS in order, together with anything newer for the same member.
   */
  async recover(): Promise<number> {
    const d = this.#d;
    const ranges = await d.store.delivery.unrouted();
    const now = d.clock.now();
    for (const r of ranges) d.tracker.sent(r.userId, r.groupId, r.toSeq, r.fromSeq, now);
    return ranges.length;
  }

  /**
   * Every fan-out and fall-through queued so far has written its routes (an empty list lands last). A
   * catch-up waits for it: a text routed while the member had no socket is queued before it looks for texts
   * to take back, not after it sent the message live (then texted beside the live copy unless acked first).
   */
  async routesWritten(): Promise<void> {
    await this.serialized(async () => {});
    await this.#routes.submit([]);
  }

  /** Stopping: routes waiting for their predecessor are left to recovery (held-routes.ts). */
  stopHolding(): void {
    this.#held?.abandon();
  }

  /** Waits for queued fan-outs and writes (tests and shutdown). */
  async idle(): Promise<void> {
    await this.#chain;
    await this.#routes.idle();
    await this.#held?.idle();
    await this.#routes.idle();
    await this.#acks.idle();
  }
}
