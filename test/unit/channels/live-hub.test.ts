// The hub's catch-ups: a connection that fell behind reads the log once and then takes the frames that
// arrived live meanwhile (not a log read per message after), and only a few read the log at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckTracker } from '../../../src/channels/live/ack-tracker.ts';
import { LiveConnection } from '../../../src/channels/live/live-connection.ts';
import { LiveHub } from '../../../src/channels/live/live-hub.ts';
import { MemoryPresence } from '../../../src/presence/memory/memory-presence.ts';
import { FakeLiveSocket } from '../../helpers/fake-live-socket.ts';

const GROUP = 7;
const turn = () => new Promise((r) => setImmediate(r));
const frame = (seq: number, from: string) => JSON.stringify({ seq, from });

/** A hub whose catch-ups read a log of `logEnd` messages, each waiting until `release` is called. */
function rig(logEnd: () => number) {
  const hub = new LiveHub(new MemoryPresence(60_000), new AckTracker(60_000));
  const waiting: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  let reads = 0;
  hub.setCatchUpSource({
    async catchUp(conn, groupId) {
      reads++;
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => waiting.push(r));
      const cur = conn.groups.get(groupId)!;
      for (let s = cur.sent + 1; s <= logEnd(); s++) hub.writeTo(conn, groupId, s, frame(s, 'log'), 0);
      running--;
    },
  });
  const connect = (userId: number) => {
    const socket = new FakeLiveSocket();
    const conn = new LiveConnection(userId, `h${userId}`, socket, 0);
    conn.groups.set(GROUP, { sent: 0, catchingUp: false });
    hub.attach(conn);
    return { conn, socket };
  };
  return {
    hub,
    connect,
    release: () => {
      for (const go of waiting.splice(0)) go();
    },
    stats: () => ({ reads, peak, waiting: waiting.length }),
  };
}

test('a connection behind reads the log once, then takes the frames that came live meanwhile', async () => {
  let logEnd = 2;
  const r = rig(() => logEnd);
  const { socket } = r.connect(1);
  r.hub.deliver(1, GROUP, 2, frame(2, 'live'), 0, false, 0); // seq 1 missed: a gap
  for (const seq of [3, 4, 5]) {
    logEnd = seq;
    r.hub.deliver(1, GROUP, seq, frame(seq, 'live'), 0, false, 0);
  }
  logEnd = 2; // the log read began before 3…5 were committed
  await turn();
  r.release();
  await turn();
  await turn();
  assert.deepEqual(
    socket.frames<{ seq: number; from: string }>().map((f) => `${f.seq}:${f.from}`),
    ['1:log', '2:log', '3:live', '4:live', '5:live'],
  );
  assert.equal(r.stats().reads, 1, 'no second log read for what arrived live');
});

test('a gap in what came live is read from the log again', async () => {
  let logEnd = 1;
  const r = rig(() => logEnd);
  const { socket } = r.connect(1);
  r.hub.deliver(1, GROUP, 1, frame(1, 'live'), 0, false, 0);
  r.hub.deliver(1, GROUP, 3, frame(3, 'live'), 0, false, 0); // 2 was never delivered live here
  logEnd = 3;
  await turn();
  r.release();
  await turn();
  await turn();
  r.release();
  await turn();
  await turn();
  assert.deepEqual(socket.seqs(), [1, 2, 3]);
});

test('at most eight connections read the log at once; the others wait their turn and all catch up', async () => {
  const r = rig(() => 3);
  const sockets = Array.from({ length: 20 }, (_, i) => r.connect(i + 1).socket);
  for (let u = 1; u <= 20; u++) r.hub.deliver(u, GROUP, 3, frame(3, 'live'), 0, false, 0);
  for (let i = 0; i < 10 && sockets.some((s) => s.sent.length === 0); i++) {
    await turn();
    r.release();
    await turn();
  }
  assert.equal(r.stats().peak, 8);
  for (const s of sockets) assert.deepEqual(s.seqs(), [1, 2, 3]);
});

test('a connection that stops reading while it catches up is closed once what the server holds for it passes the limit', async () => {
  // The catch-up waits for the socket to drain, which a reader that stopped never lets happen; the frames
  // that keep arriving live are held for it meanwhile, and they count against the same limit as the socket's.
  const r = rig(() => 1);
  const { conn, socket } = r.connect(1);
  socket.bufferedAmount = 300 * 1024; // the last page sits unsent: the catch-up is waiting for it to drain
  const big = 'x'.repeat(512 * 1024);
  r.hub.deliver(1, GROUP, 2, big, 0, false, 0); // seq 1 missed: the catch-up starts and never ends
  assert.equal(socket.readyState, 1, 'one held frame is within the limit');
  for (let seq = 3; seq <= 12 && socket.readyState === 1; seq++)
    r.hub.deliver(1, GROUP, seq, big, 0, false, 0);
  assert.equal(socket.readyState, 3, 'closed: the server would hold more than 4 MiB for it');
  assert.ok(conn.backlog <= 4 * 1024 * 1024 + big.length, `held ${conn.backlog} bytes`);
});

test('what was held during a catch-up stops counting once it is written', async () => {
  let logEnd = 1;
  const r = rig(() => logEnd);
  const { conn, socket } = r.connect(1);
  const mid = 'y'.repeat(1024 * 1024);
  r.hub.deliver(1, GROUP, 2, JSON.stringify({ seq: 2, pad: mid }), 0, false, 0);
  assert.ok(conn.backlog > 1024 * 1024, 'the held frame counts while it waits');
  await turn();
  r.release();
  await turn();
  await turn();
  assert.deepEqual(socket.seqs(), [1, 2]);
  assert.equal(conn.backlog, 0, 'nothing is counted once the frames went out');
  // Four such frames one after the other are never held together, so the socket stays open.
  for (let seq = 3; seq <= 6; seq++) {
    logEnd = seq;
    r.hub.deliver(1, GROUP, seq, JSON.stringify({ seq, pad: mid }), 0, false, 0);
    await turn();
  }
  assert.equal(socket.readyState, 1);
  assert.deepEqual(socket.seqs(), [1, 2, 3, 4, 5, 6]);
});
