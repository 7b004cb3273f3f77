// A resume that arrives with the auth (one frame, as the typed client sends it) must not move the
// connection's cursor back after the catch-up has already written past it. On PostgreSQL the resume's
// reads took round trips, the catch-up started meanwhile, and the resume then set the cursor back to
// the client's old position: the client's ack of what the catch-up sent was clamped to that position
// and ignored, and at the ack timeout the range fell to the inbox beside the live copy (the kill -9
// fault run on PostgreSQL counted 12 duplicates).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { AckTracker } from '../../../src/channels/live/ack-tracker.ts';
import { LiveHub } from '../../../src/channels/live/live-hub.ts';
import { MemoryPresence } from '../../../src/presence/memory/memory-presence.ts';
import { HeartbeatSweep } from '../../../src/ws/heartbeat.ts';
import { runWsSession, type WsDeps } from '../../../src/ws/ws-session.ts';

class RecordingSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  send(data: string | Buffer): void {
    this.sent.push(String(data));
  }
  ping(): void {}
  terminate(): void {
    this.readyState = 3;
  }
  close(): void {
    this.readyState = 3;
  }
}

/** A read that answers after a few turns, as a PostgreSQL round trip does. */
const roundTrip = async <T>(v: T): Promise<T> => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  return v;
};

test('a resume sent with the auth cannot set the cursor back behind what the catch-up already wrote', async (t) => {
  const G = 5;
  const user = { id: 7, phone: '+8613900000007', displayName: 'A' };
  const membership = { groupId: G, userId: 7, role: 'member', state: 'active', joinedSeq: 0, ackedSeq: 137 };
  const group = { id: G, appNumber: '01', groupNumber: '1001', name: 'g', lastSeq: 149 };
  const tracker = new AckTracker(10_000);
  const hub = new LiveHub(new MemoryPresence(60_000), tracker);
  // The catch-up writes what the log holds after the cursor, and arms the deadline for it.
  hub.setCatchUpSource({
    async catchUp(conn, groupId) {
      for (let seq = conn.groups.get(groupId)!.sent + 1; seq <= group.lastSeq; seq++) {
        hub.writeTo(conn, groupId, seq, JSON.stringify({ t: 'msg', g: groupId, seq }), 0);
        tracker.sent(conn.userId, groupId, seq, membership.ackedSeq, 0);
      }
    },
  });
  const acks: number[] = [];
  const d = {
    auth: { authenticate: async () => ({ user, sessionHash: 'h' }) },
    store: {
      groups: {
        ofUser: async () => [{ group, membership }],
        member: () => roundTrip(membership),
        byId: () => roundTrip(group),
      },
      users: { sessionExpiry: async () => undefined, sessionUser: async () => user },
    },
    hub,
    delivery: {
      ack: (_u: number, _g: number, seq: number) => {
        if (tracker.acked(7, G, seq)) acks.push(seq);
      },
    },
    plan: { mode: 'extended', serviceNumber: '10658', apps: [] },
    clock: { now: () => 0 },
    heartbeat: new HeartbeatSweep(60_000),
    authTimeoutMs: 60_000,
  } as unknown as WsDeps;
  t.after(() => d.heartbeat.stop());
  const socket = new RecordingSocket();
  runWsSession(d, socket as never);
  // The client held up to 137 before it reconnected: auth and resume in one frame.
  const frames = [
    { t: 'auth', token: 'tok' },
    { t: 'resume', groups: { [G]: 137 } },
  ];
  socket.emit('message', Buffer.from(frames.map((f) => JSON.stringify(f)).join('\n')), false);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  const got = socket.sent.flatMap((s) => s.split('\n')).filter((s) => s.includes('"t":"msg"'));
  assert.equal(got.length, 12, 'the catch-up wrote 138…149');
  // The client acks everything it got.
  socket.emit('message', Buffer.from(JSON.stringify({ t: 'ack', g: G, seq: 149 })), false);
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.ok(acks.includes(149), `the ack of 149 moved the member's cursor (acks taken: ${acks.join(', ')})`);
  assert.deepEqual(tracker.expire(20_000), [], 'no range falls to the inbox or SMS at the ack timeout');
});
