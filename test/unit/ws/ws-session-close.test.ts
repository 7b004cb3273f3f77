// A socket that closes while its auth frame waits on the store must not be attached afterwards: it would
// stay in the hub (the member "live" for good) with a session timer nothing clears. On PostgreSQL the
// store answers slowly enough for clients that drop at once (the flapping test) to hit this every run.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { LiveConnection } from '../../../src/channels/live/live-connection.ts';
import { HeartbeatSweep } from '../../../src/ws/heartbeat.ts';
import { runWsSession, type WsDeps } from '../../../src/ws/ws-session.ts';

class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  send(data: string): void {
    this.sent.push(data);
  }
  ping(): void {}
  terminate(): void {
    this.close();
  }
  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.emit('close');
  }
}

function deps(groups: Promise<never[]>, expiry: Promise<number | undefined>) {
  const attached = new Set<LiveConnection>();
  const user = { id: 7, phone: '+8613900000007', displayName: 'A' };
  const d = {
    auth: { authenticate: async () => ({ user, sessionHash: 'h' }) },
    store: {
      groups: { ofUser: () => groups },
      users: { sessionExpiry: () => expiry, sessionUser: async () => user },
    },
    hub: {
      attach: (c: LiveConnection) => attached.add(c),
      detach: (c: LiveConnection) => attached.delete(c),
      startCatchUp: () => {},
    },
    clock: { now: () => 1_000 },
    heartbeat: new HeartbeatSweep(60_000),
    authTimeoutMs: 60_000,
  } as unknown as WsDeps;
  return { d, attached };
}

const settle = () => new Promise((r) => setImmediate(r));

for (const stage of ['groups', 'session expiry'] as const)
  test(`a socket closed while its sign-in reads the ${stage} from the store is not attached`, async () => {
    let answer!: () => void;
    const gate = new Promise<void>((r) => (answer = r));
    const { d, attached } = deps(
      stage === 'groups' ? gate.then(() => []) : Promise.resolve([]),
      stage === 'groups' ? Promise.resolve(10_000_000) : gate.then(() => 10_000_000),
    );
    const socket = new FakeSocket();
    // Counts the timers the session sets and has not cleared, so that the test sees a leaked one.
    const live = new Set<NodeJS.Timeout>();
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const realInterval = globalThis.setInterval;
    const realClearInterval = globalThis.clearInterval;
    try {
      globalThis.setTimeout = ((fn: () => void, ms: number) => {
        const t = realSet(fn, ms);
        live.add(t);
        return t;
      }) as typeof setTimeout;
      globalThis.clearTimeout = ((t: NodeJS.Timeout) => {
        live.delete(t);
        realClear(t);
      }) as typeof clearTimeout;
      globalThis.setInterval = ((fn: () => void, ms: number) => {
        const t = realInterval(fn, ms);
        live.add(t);
        return t;
      }) as typeof setInterval;
      globalThis.clearInterval = ((t: NodeJS.Timeout) => {
        live.delete(t);
        realClearInterval(t);
      }) as typeof clearInterval;

      runWsSession(d, socket as never);
      socket.emit('message', Buffer.from(JSON.stringify({ t: 'auth', token: 'tok' })), false);
      await settle();
      socket.close();
      answer();
      await settle();
      await settle();
    } finally {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
      globalThis.setInterval = realInterval;
      globalThis.clearInterval = realClearInterval;
    }
    assert.equal(attached.size, 0, 'the closed socket was attached to the hub');
    const left = [...live];
    for (const t of left) clearTimeout(t);
    assert.equal(left.length, 0, 'a timer of the closed session is left running');
    assert.equal(socket.sent.length, 0, 'a closed socket was sent a ready frame');
  });

test('a socket still open when the store answers is attached and answered ready', async () => {
  const { d, attached } = deps(Promise.resolve([]), Promise.resolve(10_000_000));
  const socket = new FakeSocket();
  runWsSession(d, socket as never);
  socket.emit('message', Buffer.from(JSON.stringify({ t: 'auth', token: 'tok' })), false);
  for (let i = 0; i < 5; i++) await settle();
  assert.equal(attached.size, 1);
  assert.match(socket.sent.join('\n'), /"t":"ready"/);
  socket.close();
  assert.equal(attached.size, 0);
});
