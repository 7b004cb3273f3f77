// Scheduled work on several nodes: three ReminderJobs on one database, each with its own store (node id),
// scanning at the same moment, remind every due member exactly once and escalate each once; a node
// holding the retention lease keeps the others' retention runs off until it ends or expires. PostgreSQL
// (three pools: three nodes) when installed, and SQLite (three connections to one file). A starting SMS
// worker reconciles only its own texts in doubt and, after the lease, a dead node's.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { SmsGateway } from '../../src/channels/sms/gateway.ts';
import { SmsSender } from '../../src/channels/sms/sms-sender.ts';
import type { WebPushSender } from '../../src/channels/webpush/webpush-sender.ts';
import type { DeliveryEngine } from '../../src/core/delivery-engine.ts';
import { ReminderJob } from '../../src/scheduler/reminder-job.ts';
import { RETENTION_LEASE, RetentionJob } from '../../src/scheduler/retention-job.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createMetrics } from '../../src/util/metrics.ts';
import { groupWithMembers, msg, smsRoute, T0 } from '../contract/store-fixtures.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { freshDatabase, postgresInstalled } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/server.ts';

type Opener = (nodeId: string) => Promise<Store>;
const LEASE_MS = 60_000;

async function remindersOnThreeNodes(open: Opener) {
  const stores = [await open('node-a'), await open('node-b'), await open('node-c')];
  try {
    const [a] = stores;
    const { group, owner, users } = await groupWithMembers(a!, 81);
    await a!.groups.setPolicy(group.id, { escalateToSms: true });
    await a!.messages.append([msg(group.id, owner.id, 1)]);
    const members = users.slice(1);
    await a!.delivery.route(
      members.map((u) => smsRoute(group.id, u, 0, 1, { rung: 'inbox', sms: [], reminderDueAt: T0 + 100 })),
    );
    for (const u of members) await a!.push.add(u.id, `https://push.example/${u.id}`, 'k', 'a', T0);
    const clock = new ManualClock(T0 + 100);
    const pushed: number[] = [];
    const escalated: number[] = [];
    const jobs = stores.map(
      (store) =>
        new ReminderJob({
          store,
          // A push service that answers after a turn, so the three scans interleave.
          push: {
            send: async (t: { endpoint: string }) => {
              await new Promise((r) => setImmediate(r));
              pushed.push(Number(t.endpoint.split('/').pop()));
              return { outcome: 'sent', status: 201 };
            },
          } as unknown as WebPushSender,
          delivery: {
            routeRange: async (_g: number, userId: number) => {
              escalated.push(userId);
            },
          } as unknown as DeliveryEngine,
          clock,
          metrics: createMetrics(),
          inboxUrl: 'http://qun.test/m',
          escalateDelayMs: 1000,
          reminderDelayMs: 600_000,
          log: { warn() {} },
        }),
    );
    const runs = await Promise.all(jobs.map((j) => j.run()));
    assert.equal(new Set(pushed).size, members.length, 'every due member reminded');
    assert.equal(pushed.length, members.length, 'and none twice');
    assert.equal(
      runs.reduce((n, r) => n + r.reminded, 0),
      members.length,
    );
    assert.ok(
      runs.filter((r) => r.reminded > 0).length >= 2,
      `the nodes shared the work: ${JSON.stringify(runs)}`,
    );
    assert.deepEqual(
      await Promise.all(jobs.map((j) => j.run())),
      [0, 0, 0].map(() => ({ reminded: 0, escalated: 0 })),
    );
    clock.advance(1000);
    await Promise.all(jobs.map((j) => j.run()));
    assert.equal(escalated.length, members.length, 'each escalation routed once');
    assert.equal(new Set(escalated).size, members.length);
  } finally {
    for (const s of stores) await s.close();
  }
}

async function retentionOnTwoNodes(open: Opener) {
  const [a, b] = [await open('node-a'), await open('node-b')];
  try {
    const pruned: string[] = [];
    const job = (store: Store, name: string, clock: ManualClock) =>
      new RetentionJob({
        store: {
          ...store,
          maintenance: {
            ...store.maintenance,
            pruneHistory: async (...args: Parameters<Store['maintenance']['pruneHistory']>) => {
              pruned.push(name);
              return store.maintenance.pruneHistory(...args);
            },
          },
        },
        clock,
        defaultDays: 30,
        log: { info() {} },
        leaseMs: LEASE_MS,
      });
    const clock = new ManualClock(T0);
    // Node a is in the middle of a run (it holds the lease): node b's turn does nothing.
    assert.equal(await a.leases.hold(RETENTION_LEASE, T0, T0 + LEASE_MS), true);
    assert.equal(await job(b, 'b', clock).run(), 0);
    assert.deepEqual(pruned, []);
    // Node a died mid-run: once its lease expired, node b runs, and gives the lease up at the end.
    clock.set(T0 + LEASE_MS);
    await job(b, 'b', clock).run();
    assert.deepEqual(pruned, ['b']);
    await job(a, 'a', clock).run();
    assert.deepEqual(pruned, ['b', 'a'], 'released at the end of the run: free for the next one');
  } finally {
    await b.close();
    await a.close();
  }
}

/**
 * Node d claimed texts and died; node b is alive with texts in flight. Node a starts: it sends neither's
 * (b's are live, d's lease runs), only its own from before the restart; once d's lease expired, a's
 * heartbeat takes d's over and sends each once; b's renewed ones are never sent by a.
 */
async function textsOnRestart(open: Opener) {
  const [a, b, d] = [await open('node-a'), await open('node-b'), await open('node-d')];
  const clock = new ManualClock(T0);
  const submitted: string[] = [];
  const gateway: SmsGateway = {
    name: 'sim',
    async start() {},
    async stop() {},
    async submit(o) {
      submitted.push(o.text);
      return { outcome: 'submitted', ref: `ref-${o.id}` };
    },
    reachable: () => true,
    // SMPP and Kannel cannot tell whether a text in doubt went: it goes again.
    reconcile: async () => 'unknown',
  };
  const sender = new SmsSender(
    a,
    gateway,
    clock,
    createMetrics(),
    { tps: 0, window: 10, smartSubstitution: false, maxAttempts: 3, pollMs: 3_600_000, leaseMs: LEASE_MS },
    { warn() {}, info() {} },
  );
  try {
    const u = await a.users.upsertByPhone('+8613700000042', T0);
    // One number per node's texts: one number's texts are claimed by one node at a time.
    const phoneOf: Record<string, string> = { a: u.phone, b: '+8613700000043', d: '+8613700000044' };
    const reply = (text: string) => ({
      kind: 'reply' as const,
      toPhone: phoneOf[text[0]!]!,
      fromAddr: '10658',
      text,
      groupId: null,
      seq: null,
      userId: u.id,
    });
    for (const [s, n] of [
      [a, 'a'],
      [b, 'b'],
      [d, 'd'],
    ] as const) {
      await a.outbound.enqueue([`${n}1`, `${n}2`].map(reply), T0);
      await s.outbound.claim(2, T0);
    }
    clock.set(T0 + 10);
    await sender.start();
    await sender.idle();
    assert.deepEqual(submitted.sort(), ['a1', 'a2'], 'only its own texts from before the restart');
    clock.set(T0 + LEASE_MS / 2);
    assert.equal(await b.outbound.renewLeases(clock.now()), 2, 'node b is alive');
    clock.set(T0 + LEASE_MS);
    await sender.heartbeat();
    await sender.idle();
    assert.deepEqual(submitted.sort(), ['a1', 'a2', 'd1', 'd2'], 'the dead node’s, once its lease expired');
    assert.equal(await b.outbound.renewLeases(T0 + 1.5 * LEASE_MS), 2, 'node b renews again');
    clock.set(T0 + 2 * LEASE_MS);
    await sender.heartbeat();
    await sender.idle();
    assert.deepEqual(submitted.sort(), ['a1', 'a2', 'd1', 'd2'], 'nothing twice; b’s renewed texts are b’s');
  } finally {
    await sender.stop();
    for (const s of [d, b, a]) await s.close();
  }
}

const sqliteNodes = (): Opener => {
  const file = path.join(tempDir(), 'qun.db');
  return (nodeId) => openSqliteStore(file, { gateway: 'sim', nodeId, leaseMs: LEASE_MS });
};

test('sqlite: three nodes scanning reminders at once remind and escalate each member once', () =>
  remindersOnThreeNodes(sqliteNodes()));
test('sqlite: the retention lease keeps a second node off until it ends or expires', () =>
  retentionOnTwoNodes(sqliteNodes()));
test('sqlite: a starting node sends only its own texts in doubt, then a dead node’s after the lease', () =>
  textsOnRestart(sqliteNodes()));

if (postgresInstalled('cluster jobs on PostgreSQL')) {
  const pgNodes = async (): Promise<Opener> => {
    const url = await freshDatabase();
    return (nodeId) => openPostgresStore(url, { gateway: 'sim', nodeId, leaseMs: LEASE_MS, poolSize: 4 });
  };
  test('postgres: three nodes scanning reminders at once remind and escalate each member once', async () =>
    remindersOnThreeNodes(await pgNodes()));
  test('postgres: the retention lease keeps a second node off until it ends or expires', async () =>
    retentionOnTwoNodes(await pgNodes()));
  test('postgres: a starting node sends only its own texts in doubt, then a dead node’s after the lease', async () =>
    textsOnRestart(await pgNodes()));
}
