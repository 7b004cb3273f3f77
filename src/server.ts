// The composition root: builds the store, presence, channels, apps, jobs and HTTP from the config, and
// owns their start/stop lifecycle. No logic lives here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { AppRegistry } from './apps/registry.ts';
import { AckTracker } from './channels/live/ack-tracker.ts';
import { LiveHub } from './channels/live/live-hub.ts';
import { liveMembershipEvents } from './channels/live/live-membership-events.ts';
import { hintedMembershipEvents } from './channels/live/live-peer-events.ts';
import type { GatewayHooks } from './channels/sms/gateway.ts';
import { checkGatewayName, createGateway } from './channels/sms/gateways/registry.ts';
import { SmsSender } from './channels/sms/sms-sender.ts';
import { WebPushSender } from './channels/webpush/webpush-sender.ts';
import type { Config } from './config/config.ts';
import { AuthService } from './core/auth-service.ts';
import { budgetNotifier } from './core/budget-notices.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { CommandService } from './core/commands/command-service.ts';
import { DeliveryEngine } from './core/delivery-engine.ts';
import { MessageFramer } from './core/frames.ts';
import { MemberCache } from './core/member-cache.ts';
import { MembershipService } from './core/membership-service.ts';
import { MessageService } from './core/message-service.ts';
import { PolicyService } from './core/policy-service.ts';
import { SmsInbound } from './core/sms-inbound.ts';
import { mediaNotice } from './core/sms-media.ts';
import { gatewayHooks, ReceiptMatcher } from './core/sms-receipts.ts';
import { type AddressPlan, smsFrom } from './domain/address.ts';
import { digest } from './domain/digest.ts';
import { textLanguage } from './domain/language.ts';
import { personLabel } from './domain/names.ts';
import { buildHttp } from './http/app.ts';
import { JobRunner } from './scheduler/job-runner.ts';
import type { ReminderJob } from './scheduler/reminder-job.ts';
import { RetentionJob } from './scheduler/retention-job.ts';
import { joinCluster, openSharedState } from './server-cluster.ts';
import {
  buildGuard,
  buildReminders,
  DRAIN_MS,
  drain,
  logStarted,
  openGateway,
  readiness,
  storeOptions,
  vapidKeys,
} from './server-parts.ts';
import { cachedReads } from './store/cached/cached-reads.ts';
import { openStore } from './store/open-store.ts';
import { createMetrics } from './util/metrics.ts';
import { HeartbeatSweep } from './ws/heartbeat.ts';
import { logCatchUp, type WsDeps } from './ws/ws-session.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** Environment for gateway settings (defaults to process.env). */
  env?: Record<string, string | undefined>;
  /** Extra options for the push sender (a test push service's https agent). */
  pushAgent?: import('node:https').Agent;
}

export interface RunningServer {
  url: string;
  port: number;
  config: Config;
  close(): Promise<void>;
  /** Waits until queued fan-out, SMS and jobs have settled (tests). */
  settle(): Promise<void>;
  reminders: ReminderJob;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.logger ?? pino({ level: config.logLevel });
  const apps = new AppRegistry(config.apps, config.appNumberWidth);
  checkGatewayName(config.smsGateway);
  // Every part below checks sessions and senders from memory (src/store/cached/cached-reads.ts).
  const reads = cachedReads(await openStore(storeOptions(config)), { now: () => clock.now() });
  const store = reads.store;
  const metrics = createMetrics();
  const plan: AddressPlan = {
    serviceNumber: config.serviceNumber,
    appNumberWidth: config.appNumberWidth,
    mode: config.smsAddressing,
    singleNumber: config.smsNumber ?? config.serviceNumber,
  };
  // The gateway's hooks reach the core, which is built below: bound late, used only after start().
  let hooks: GatewayHooks | undefined;
  const gateway = await openGateway(store, () =>
    createGateway(config.smsGateway, {
      store,
      clock,
      env: opts.env ?? process.env,
      log,
      metrics,
      plan,
      publicUrl: config.publicUrl,
      hooks: {
        inbound: (t) => hooks!.inbound(t),
        receipt: (r) => hooks!.receipt(r),
        optedOut: (p) => hooks!.optedOut(p),
      },
    }),
  );
  const shared = await openSharedState(config, store, clock, log);
  const { presence, bus } = shared;
  const tracker = new AckTracker(config.liveAckTimeout);
  const hub = new LiveHub(presence, tracker);
  const members = new MemberCache(store, shared.memberCache);
  const framer = new MessageFramer(store);
  const vapid = await vapidKeys(store, config, clock, log);
  const push = new WebPushSender(vapid, opts.pushAgent ? { agent: opts.pushAgent } : {});
  const inboxUrl = `${config.publicUrl}/m`;

  let sender: SmsSender | undefined;
  const onSmsQueued = () => sender?.wake();
  const policy = new PolicyService(
    store,
    clock,
    {
      day: config.smsBudgetDay,
      month: config.smsBudgetMonth,
      dayCeiling: config.smsBudgetDayCeiling,
      monthCeiling: config.smsBudgetMonthCeiling,
    },
    config.digestWindow,
    metrics,
  );
  policy.onBudgetSpent = budgetNotifier({
    store,
    clock,
    metrics,
    smsFrom: (g) => smsFrom(plan, g.appNumber, g.groupNumber),
    onSmsQueued,
    log,
  });
  const delivery = new DeliveryEngine({
    policy,
    store,
    presence,
    hub,
    tracker,
    members,
    framer,
    clock,
    metrics,
    smsFrom: (g) => smsFrom(plan, g.appNumber, g.groupNumber),
    singleNumberMode: plan.mode === 'single',
    sms: {
      maxSegments: config.smsMaxSegments,
      inboxUrl,
      smartSubstitution: config.smartSubstitution,
      reachable: (p) => gateway.reachable(p),
    },
    reminderDelayMs: config.reminderDelay,
    liveAckTimeoutMs: config.liveAckTimeout,
    bus,
    // The route before a member's may be live-pending on another node, or left by a node that died
    // until the sweep takes it (two ack timeouts old, plus the sweep's lease): wait that long at most.
    ...(shared.multiNode ? { holdRoutesMs: 4 * config.liveAckTimeout + 2000 } : {}),
    onSmsQueued,
    log,
  });
  const { acksWritten } = delivery;
  sender = new SmsSender(
    store,
    gateway,
    clock,
    metrics,
    {
      tps: config.smsTps,
      window: gateway.window ?? 10,
      smartSubstitution: config.smartSubstitution,
      maxAttempts: 8,
      pollMs: 1000,
      leaseMs: config.lease,
      composeDigest: (parts, toPhone) =>
        digest(
          {
            groupName: parts[0]?.groupName ?? '',
            groupNumber: plan.mode === 'single' ? parts[0]?.groupNumber : undefined,
            items: parts.map((p) => ({
              sender: personLabel({ displayName: p.senderName, phone: p.senderPhone }),
              body: p.body,
            })),
            lang: textLanguage({ phone: toPhone }),
          },
          { maxSegments: config.smsMaxSegments, inboxUrl, smartSubstitution: config.smartSubstitution },
        ),
    },
    log,
  );
  const guard = buildGuard(config, store, clock, metrics, log);
  const auth = new AuthService(store, clock, config, metrics, guard, onSmsQueued);
  const membership = new MembershipService(
    store,
    apps,
    members,
    clock,
    hintedMembershipEvents(liveMembershipEvents(hub), bus),
    config,
    guard,
  );
  const messages = new MessageService(store, apps, delivery, clock, metrics, config.maxMessageChars);
  const commands = new CommandService({
    store,
    apps,
    membership,
    messages,
    members,
    clock,
    plan,
    metrics,
    policy,
    limits: { groupsPerPhonePerDay: config.groupsPerPhonePerDay },
    onSmsQueued,
  });
  const inbound = new SmsInbound({
    store,
    apps,
    commands,
    clock,
    metrics,
    guard,
    plan,
    defaultRegion: config.defaultRegion,
    onSmsQueued,
  });
  const ws: WsDeps = {
    store,
    auth,
    hub,
    tracker,
    delivery,
    messages,
    commands,
    framer,
    clock,
    plan,
    heartbeat: new HeartbeatSweep(config.liveHeartbeat),
    onTextsTakenBack: (n) => metrics.deliveries.inc({ rung: 'sms', outcome: 'cancelled' }, n),
    authTimeoutMs: 10_000,
  };
  hub.setCatchUpSource(logCatchUp(ws));
  const receipts = new ReceiptMatcher(store, gateway.name, clock, metrics, log);
  hooks = gatewayHooks({
    store,
    clock,
    members,
    receipts,
    media: mediaNotice({ store, clock, metrics, gateway: gateway.name, onQueued: onSmsQueued }),
    inbound: async (t) => {
      const outcome = await inbound.handle({ ...t, gateway: gateway.name });
      return outcome;
    },
  });
  const reminders = buildReminders({
    config,
    store,
    push,
    delivery,
    policy,
    clock,
    metrics,
    plan,
    log,
    inboxUrl,
    onSmsQueued,
  });
  const retention = new RetentionJob({
    store,
    clock,
    defaultDays: config.retentionDays,
    log,
    leaseMs: config.lease,
  });

  const http = await buildHttp(
    {
      config,
      store,
      apps,
      auth,
      membership,
      commands,
      messages,
      policy,
      delivery,
      inbound,
      presence,
      hub,
      metrics,
      clock,
      plan,
      stopping: () => closed,
      vapidPublicKey: vapid.publicKey,
      push,
      ws,
      simulator: config.smsGateway === 'sim',
      webDir: path.join(ROOT, 'web'),
      gatewayRoutes: gateway.httpRoutes,
      inbox: { store, presence, clock, metrics, reminderDelayMs: config.reminderDelay, acksWritten },
      readiness: readiness(store, clock, log, () => closed),
    },
    log,
    path.join(ROOT, 'src/client/qun-client.ts'),
  );

  const jobs = new JobRunner({ log, overlaps: metrics.jobOverlaps });
  let tailIdle = async () => {};
  let closed = false;
  // One shutdown for both a normal close and a start-up that failed half-way (a refused SMPP bind, a
  // port in use): every timer, socket and file this function opened is released.
  const shutdown = async () => {
    if (closed) return;
    closed = true;
    await jobs.stop();
    delivery.stopHolding();
    // A graceful stop: nothing new is accepted (503), what is in flight commits and is answered, then
    // live sockets close with 1012 (service restart) so clients reconnect at once, to another node.
    await drain(async () => {
      // Frames already on the wire are read and queued in the next turns; then their commits finish.
      if (hub.connectionCount > 0) await new Promise((r) => setTimeout(r, 100));
      await messages.idle();
      await delivery.idle();
    }, DRAIN_MS);
    hub.closeAll(1012, 'server restarting');
    await http.close();
    ws.heartbeat.stop();
    await messages.idle();
    await delivery.idle();
    await sender.stop();
    receipts.stop();
    await gateway.stop();
    await shared.close();
    await store.close();
  };
  try {
    await gateway.start();
    await sender.start();
    await presence.start();
    const recovered = await delivery.recover();
    if (recovered > 0)
      log.info(
        { ranges: recovered },
        'undelivered ranges after a restart wait one ack timeout, then fall back',
      );
    const wiring = { store, reads, hub, tracker, members, framer, delivery, clock, config, log };
    const cluster = await joinCluster(shared, wiring);
    tailIdle = cluster.idle;
    for (const job of cluster.jobs) jobs.add(job);
    jobs
      .add({
        name: 'ack-deadlines',
        everyMs: Math.max(20, Math.min(1000, Math.floor(config.liveAckTimeout / 4))),
        run: () => delivery.onAckTimeouts(tracker.expire(clock.now())),
      })
      .add({ name: 'reminders', everyMs: config.reminderScanInterval, run: (s) => reminders.run(s) })
      // Timers overflow past 2^31 ms (24.8 days) and would then fire at once, over and over.
      .add({
        name: 'retention',
        everyMs: Math.min(config.retentionInterval, 2 ** 31 - 1),
        run: (s) => retention.run(undefined, s),
      })
      .start();
    await http.listen({ port: config.port, host: config.host });
  } catch (e) {
    await shutdown().catch(() => {});
    throw e;
  }
  const port = (http.server.address() as { port: number }).port;
  await logStarted(log, config, store, gateway.name, apps, plan, port);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    config,
    reminders,
    async settle() {
      await messages.idle();
      await tailIdle();
      await delivery.idle();
      await sender.idle();
    },
    close: shutdown,
  };
}
