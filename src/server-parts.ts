// Pieces of the composition root kept out of server.ts so it stays a readable list of parts: the
// reminder job with its channels in order (Web Push, WAP Push, SMS), the SMS pumping guard with its
// number policy, the start-up log line, and the small start/stop helpers.
import path from 'node:path';
import type { Logger } from 'pino';
import type { AppRegistry } from './apps/registry.ts';
import type { SmsGateway } from './channels/sms/gateway.ts';
import { WapPushSender } from './channels/wappush/wap-push-sender.ts';
import { loadVapidKeys } from './channels/webpush/vapid-keys.ts';
import type { WebPushSender } from './channels/webpush/webpush-sender.ts';
import type { Config } from './config/config.ts';
import type { Clock } from './core/clock.ts';
import type { DeliveryEngine } from './core/delivery-engine.ts';
import type { PolicyService } from './core/policy-service.ts';
import { SmsPumpingGuard } from './core/sms-pumping-guard.ts';
import { type AddressPlan, smsFrom } from './domain/address.ts';
import { numberPolicy } from './domain/sms-policy.ts';
import { ReminderFallback } from './scheduler/reminder-fallback.ts';
import { ReminderJob } from './scheduler/reminder-job.ts';
import type { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';
import type { Metrics } from './util/metrics.ts';

/** The store as this node opens it: its claims (reminders, texts in flight, retention) leased to QUN_NODE_ID. */
export function storeOptions(config: Config): Parameters<typeof openStore>[0] {
  return {
    databaseUrl: config.databaseUrl,
    poolSize: config.databasePool,
    sqliteCheckpoint: config.sqliteCheckpoint,
    dataDir: config.dataDir,
    gateway: config.smsGateway,
    reminderDelayMs: config.reminderDelay,
    nodeId: config.nodeId,
    leaseMs: config.lease,
  };
}

/** How long a graceful stop waits for in-flight appends before it closes sockets anyway (exit ≤ 10 s). */
export const DRAIN_MS = 5000;

export async function drain(work: () => Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work(), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** Builds the gateway; if its settings are refused, the already opened store is closed first. */
export async function openGateway(
  store: { close(): Promise<void> },
  create: () => Promise<SmsGateway>,
): Promise<SmsGateway> {
  try {
    return await create();
  } catch (e) {
    void store.close();
    throw e;
  }
}

/** Rejects when `p` has not settled within `ms` (a database that hangs is as unready as one that refuses). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export interface ReminderWiring {
  config: Config;
  store: Store;
  push: WebPushSender;
  delivery: DeliveryEngine;
  policy: PolicyService;
  clock: Clock;
  metrics: Metrics;
  plan: AddressPlan;
  log: Logger;
  inboxUrl: string;
  onSmsQueued: () => void;
}

/** The reminder and escalation scan, with each member's reminder channel tried in order. */
export function buildReminders(d: ReminderWiring): ReminderJob {
  const { config, store, push, delivery, policy, clock, metrics, plan, log, inboxUrl, onSmsQueued } = d;
  return new ReminderJob({
    store,
    push,
    delivery,
    clock,
    metrics,
    inboxUrl,
    escalateDelayMs: config.escalateDelay,
    reminderDelayMs: config.reminderDelay,
    leaseMs: config.lease,
    log,
    onSmsQueued,
    fallback: new ReminderFallback({
      wapPush: config.wapPushUrl
        ? new WapPushSender({
            url: config.wapPushUrl,
            username: config.wapPushUsername,
            password: config.wapPushPassword,
            timeoutMs: 10_000,
          })
        : undefined,
      sms: config.reminderSms
        ? (r, user, text) => ({
            kind: 'reminder',
            toPhone: user.phone,
            // The claim brought the group's addresses: no lookup per reminder.
            fromAddr: smsFrom(plan, r.appNumber, r.groupNumber),
            text,
            seq: null,
            groupId: r.groupId,
            userId: user.id,
          })
        : undefined,
      inboxUrl,
      clock,
      metrics,
      log,
    }),
    quietUntil: (g, u, phone, now) => policy.quietUntil(g, u, phone, now),
  });
}

/** The caps on what strangers can make Qun text, and which numbers it texts at all. */
export function buildGuard(
  config: Config,
  store: Store,
  clock: Clock,
  metrics: Metrics,
  log: Logger,
): SmsPumpingGuard {
  return new SmsPumpingGuard(
    store,
    clock,
    metrics,
    {
      codesPerAddressPerHour: config.codesPerAddressPerHour,
      invitesPerNumberPerDay: config.invitesPerNumberPerDay,
      dailyCap: config.smsDailyCap,
      repliesPerHour: config.smsRepliesPerHour,
      numbers: numberPolicy({
        allowedRegions: config.smsAllowedRegions,
        allowedTypes: config.smsAllowedTypes,
        defaultRegion: config.defaultRegion,
        ownNumbers: [config.serviceNumber, ...(config.smsNumber ? [config.smsNumber] : [])],
      }),
    },
    log,
  );
}

/** The start-up lines: a gateway/addressing mismatch, then where Qun listens, its store and durability, gateway, apps and addressing. */
export async function logStarted(
  log: Logger,
  config: Config,
  store: Store,
  gatewayName: string,
  apps: AppRegistry,
  plan: AddressPlan,
  port: number,
): Promise<void> {
  if (gatewayName === 'twilio' && plan.mode === 'extended') {
    log.warn(
      { gateway: gatewayName },
      'this gateway sends every text from one number: set QUN_SMS_ADDRESSING=single and QUN_SMS_NUMBER to it, or replies cannot find their group',
    );
  }
  const durability = await store.durability();
  log.info(
    {
      listening: `http://${config.host}:${port}`,
      store: store.engine,
      database: store.location,
      synchronous: durability.synchronous,
      ...(durability.checkpoint && { checkpoint: durability.checkpoint }),
      gateway: gatewayName,
      apps: apps.list().map((a) => `${a.appNumber}=${a.kind}`),
      serviceNumber: config.serviceNumber,
      addressing: plan.mode,
    },
    `Qun is up: open ${config.publicUrl}/ (live), ${config.publicUrl}/m (mobile inbox)${gatewayName === 'sim' ? `, ${config.publicUrl}/sim (simulated phones)` : ''}`,
  );
}

/**
 * Why the node is not ready (shutting down, or the store refusing a probe write within 2 s: a database
 * that hangs is as unready as one that refuses), or undefined when it is.
 */
export function readiness(
  store: Store,
  clock: Clock,
  log: Logger,
  closed: () => boolean,
): () => Promise<'storage_unavailable' | 'unavailable' | undefined> {
  return async () => {
    if (closed()) return 'unavailable';
    try {
      await withTimeout(store.probe(clock.now()), 2000);
      return undefined;
    } catch (e) {
      log.warn({ err: e }, 'readiness probe: the store refuses writes');
      return 'storage_unavailable';
    }
  };
}

/** The Web Push key pair every node answers: the store's (a vapid.json of an older release moves in). */
export async function vapidKeys(store: Store, config: Config, clock: Clock, log: Logger) {
  const vapid = await loadVapidKeys(
    store.maintenance,
    config.dataDir,
    config.vapidSubject,
    clock.now(),
  ).catch(async (e) => {
    await store.close();
    throw e;
  });
  if (vapid.fileDiffers)
    log.warn(
      { file: path.join(config.dataDir, 'vapid.json') },
      'this vapid.json differs from the VAPID key pair in the store; the store wins (another node set it first)',
    );
  else if (vapid.migratedFromFile)
    log.info(
      {},
      "vapid.json's key pair is in the store now, so every node answers it; keep the file as a backup or remove it",
    );
  return vapid;
}
