// A live socket closes when its session ends, to the millisecond, without a timer per socket for the
// weeks before: the exact timer is armed once the end is within two heartbeats.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { HeartbeatSweep } from '../../../src/ws/heartbeat.ts';
import { runWsSession, type WsDeps } from '../../../src/ws/ws-session.ts';

class AnsweringSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  closedWith: { code: number | undefined; at: number } | undefined;
  send(): void {}
  ping(): void {
    queueMicrotask(() => this.emit('pong'));
  }
  terminate(): void {
    this.close(1006);
  }
  close(code?: number): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.closedWith = { code, at: Date.now() };
    this.emit('close');
  }
}

test('a session that ends weeks from now holds no timer until two heartbeats before its end, then closes at it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 0 });
  const HEARTBEAT = 1_000;
  const EXPIRES = 10_500;
  const user = { id: 7, phone: '+8613900000007', displayName: 'A' };
  const d = {
    auth: { authenticate: async () => ({ user, sessionHash: 'h' }) },
    store: {
      groups: { ofUser: async () => [] },
      users: { sessionExpiry: async () => EXPIRES, sessionUser: async () => user },
    },
    hub: { attach: () => {}, detach: () => {}, startCatchUp: () => {} },
    clock: { now: () => Date.now() },
    heartbeat: new HeartbeatSweep(HEARTBEAT),
    authTimeoutMs: 60_000,
  } as unknown as WsDeps;
  const socket = new AnsweringSocket();
  // Every timeout the session sets, but the sign-in deadline.
  const armed: { at: number; delay: number }[] = [];
  const mocked = globalThis.setTimeout;
  t.mock.method(globalThis, 'setTimeout', (fn: () => void, delay: number) => {
    if (delay !== 60_000) armed.push({ at: Date.now(), delay });
    return mocked(fn, delay);
  });
  runWsSession(d, socket as never);
  socket.emit('message', Buffer.from(JSON.stringify({ t: 'auth', token: 'tok' })), false);
  for (let i = 0; i < 5; i++) await Promise.resolve();
  for (let at = 0; at < EXPIRES - 100; at += 100) {
    t.mock.timers.tick(100);
    for (let i = 0; i < 3; i++) await Promise.resolve(); // pongs
  }
  assert.equal(socket.closedWith, undefined, 'closed before the session ended');
  assert.equal(armed.length, 1, 'one expiry timer');
  assert.ok(armed[0]!.at >= EXPIRES - 2 * HEARTBEAT, `armed at ${armed[0]!.at}, long before the end`);
  t.mock.timers.tick(100);
  assert.deepEqual(socket.closedWith, { code: 4001, at: EXPIRES });
  d.heartbeat.stop();
});
