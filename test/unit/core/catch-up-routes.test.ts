// A route decided while the member had no socket, still on its way to the store when the member's socket
// attaches: the catch-up must not send that message live as new and leave its text queued behind it, or the
// member gets it twice (live, and by SMS unless the ack beats the SMS sender). The PostgreSQL fault run showed
// it after a long SIGTERM restart: a fan-out routed an offline member to SMS, its route batch landed 4 s later,
// after the member's reconnect had read the log, taken back nothing and sent the message live.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AckTracker } from '../../../src/channels/live/ack-tracker.ts';
import { LiveConnection } from '../../../src/channels/live/live-connection.ts';
import { LiveHub } from '../../../src/channels/live/live-hub.ts';
import { LocalBus } from '../../../src/cluster/local/local-bus.ts';
import { DeliveryEngine } from '../../../src/core/delivery-engine.ts';
import { MessageFramer } from '../../../src/core/frames.ts';
import { MemberCache } from '../../../src/core/member-cache.ts';
import { PolicyService } from '../../../src/core/policy-service.ts';
import { MemoryPresence } from '../../../src/presence/memory/memory-presence.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { createMetrics } from '../../../src/util/metrics.ts';
import { logCatchUp, type WsDeps } from '../../../src/ws/ws-session.ts';
import { groupWithMembers, msg, T0 } from '../../contract/store-fixtures.ts';

class FakeSocket {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  send(data: string | Buffer): void {
    this.sent.push(String(data));
  }
  close(): void {
    this.readyState = 3;
  }
  terminate(): void {
    this.readyState = 3;
  }
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 5));
};

test('a catch-up waits for routes decided before its socket attached: the text is taken back, not sent beside the live copy', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qun-catchup-'));
  const store = await openSqliteStore(path.join(dir, 'qun.db'), { gateway: 'sim' });
  t.after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const { group, owner, users } = await groupWithMembers(store, 2);
  const member = users[1]!;
  const clock = { now: () => T0 + 10_000 };
  const metrics = createMetrics();
  const presence = new MemoryPresence(60_000, 10_000, clock.now);
  const tracker = new AckTracker(10_000);
  const hub = new LiveHub(presence, tracker);
  const framer = new MessageFramer(store);
  // The route batch is held (a loaded database): the fan-out has decided, the store has not heard yet.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const route = store.delivery.route.bind(store.delivery);
  store.delivery.route = async (routes) => {
    await gate;
    return route(routes);
  };
  const delivery = new DeliveryEngine({
    policy: new PolicyService(store, clock, { day: 0, month: 0, dayCeiling: 0, monthCeiling: 0 }, 0, metrics),
    store,
    presence,
    hub,
    tracker,
    members: new MemberCache(store),
    framer,
    clock,
    metrics,
    smsFrom: () => '1065801',
    singleNumberMode: false,
    sms: { maxSegments: 3, inboxUrl: 'http://qun.test/m', smartSubstitution: false, reachable: () => true },
    reminderDelayMs: 60_000,
    liveAckTimeoutMs: 10_000,
    bus: new LocalBus('n1'),
    onSmsQueued: () => {},
    log: { warn: () => {}, error: () => {} },
  });
  hub.setCatchUpSource(
    logCatchUp({
      store,
      hub,
      tracker,
      framer,
      clock,
      delivery,
      onTextsTakenBack: () => {},
    } as unknown as WsDeps),
  );

  // The member has no socket: the fan-out routes them to SMS; the route waits at the gate.
  const [appended] = await store.messages.append([msg(group.id, owner.id, 1)]);
  await delivery.dispatch(group, appended!.message, owner);
  // Then their socket attaches and catches up from their acked seq (0).
  const socket = new FakeSocket();
  const conn = new LiveConnection(member.id, 'h', socket, clock.now());
  conn.groups.set(group.id, { sent: 0, catchingUp: false });
  hub.attach(conn);
  hub.startCatchUp(conn, group.id);
  await turns(10);
  release();
  await delivery.idle();
  for (let i = 0; i < 200 && conn.groups.get(group.id)!.catchingUp; i++) await turns(1);
  await turns(5);

  const frames = socket.sent
    .flatMap((s) => s.split('\n'))
    .map((s) => JSON.parse(s) as { t: string; seq?: number; via?: string });
  const live = frames.filter((f) => f.t === 'msg' && f.seq === 1);
  assert.equal(live.length, 1, 'the catch-up sent the message');
  const texts = (await store.outbound.forMessage(group.id, 1)).filter((o) => o.userId === member.id);
  const pending = texts.filter((o) => o.state !== 'cancelled');
  // Live as new, and a text still on its way: the member would get both.
  assert.ok(
    live[0]!.via !== undefined || pending.length === 0,
    `live copy without via beside texts ${JSON.stringify(texts.map((o) => o.state))}`,
  );
});
