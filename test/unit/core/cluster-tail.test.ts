// The tail that serves this node's sockets with what another node committed: in order, once, from the
// log (a real SQLite store), with the ack deadline armed only for frames it wrote itself, and a log read
// for a connection too new to be sure no other node texted the member meanwhile.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { AckTracker } from '../../../src/channels/live/ack-tracker.ts';
import { LiveConnection } from '../../../src/channels/live/live-connection.ts';
import { LiveHub } from '../../../src/channels/live/live-hub.ts';
import { ClusterTail } from '../../../src/core/cluster-tail.ts';
import { MessageFramer } from '../../../src/core/frames.ts';
import { MemberCache } from '../../../src/core/member-cache.ts';
import { MemoryPresence } from '../../../src/presence/memory/memory-presence.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { groupWithMembers, msg, T0 } from '../../contract/store-fixtures.ts';
import { FakeLiveSocket } from '../../helpers/fake-live-socket.ts';
import { tempDir } from '../../helpers/server.ts';

const turn = () => new Promise((r) => setImmediate(r));

async function setup() {
  const store = await openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' });
  const { group, owner, users } = await groupWithMembers(store, 3);
  const tracker = new AckTracker(10_000);
  const hub = new LiveHub(new MemoryPresence(60_000), tracker);
  const logReads: number[] = [];
  hub.setCatchUpSource({
    async catchUp(conn, groupId) {
      logReads.push(conn.userId);
      const cur = conn.groups.get(groupId)!;
      for (const m of await store.messages.range(groupId, cur.sent, 1000, 1000))
        hub.writeTo(conn, groupId, m.seq, JSON.stringify({ t: 'msg', seq: m.seq, log: true }), T0);
    },
  });
  let now = T0 + 100_000;
  const tail = new ClusterTail({
    store,
    hub,
    members: new MemberCache(store),
    framer: new MessageFramer(store),
    clock: { now: () => now },
    settleMs: 2000,
    log: { warn: () => {} },
  });
  const connect = (userId: number, openedAt: number) => {
    const socket = new FakeLiveSocket();
    const conn = new LiveConnection(userId, `s${userId}`, socket, openedAt);
    conn.groups.set(group.id, { sent: 0, catchingUp: false });
    hub.attach(conn);
    return socket;
  };
  const commit = async (...is: number[]) => {
    const r = await store.messages.append(is.map((i) => msg(group.id, owner.id, i)));
    return Math.max(...r.map((x) => x.message.seq));
  };
  return {
    store,
    group,
    users,
    tracker,
    hub,
    tail,
    connect,
    commit,
    logReads,
    setNow: (t: number) => (now = t),
  };
}

test('a hint hands the new messages to every local socket in step, once, in order, and arms their deadline', async () => {
  const s = await setup();
  const a = s.connect(s.users[1]!.id, T0);
  const b = s.connect(s.users[2]!.id, T0);
  s.tail.committed(s.group.id, await s.commit(1, 2));
  await s.tail.idle();
  s.tail.committed(s.group.id, 2); // the same hint again: nothing more
  s.tail.committed(s.group.id, await s.commit(3));
  await s.tail.idle();
  await turn();
  assert.deepEqual(a.seqs(), [1, 2, 3]);
  assert.deepEqual(b.seqs(), [1, 2, 3]);
  assert.deepEqual(s.logReads, [], 'sockets in step take the frames from the tail, not a log read each');
  assert.ok(
    s.tracker.pending(s.users[1]!.id, s.group.id),
    'the deadline is this node’s: it wrote the frames',
  );
  await s.store.close();
});

test('the poll finds what a lost hint would have said', async () => {
  const s = await setup();
  const a = s.connect(s.users[1]!.id, T0);
  await s.commit(1, 2, 3);
  await s.tail.poll();
  await s.tail.idle();
  await turn();
  assert.deepEqual(a.seqs(), [1, 2, 3]);
  await s.store.close();
});

test('a connection opened within the settle time reads the log instead (texts taken back there), no deadline from the tail', async () => {
  const s = await setup();
  s.setNow(T0 + 100_000);
  const fresh = s.connect(s.users[1]!.id, T0 + 99_500);
  s.tail.committed(s.group.id, await s.commit(1));
  await s.tail.idle();
  await turn();
  assert.deepEqual(s.logReads, [s.users[1]!.id]);
  assert.deepEqual(fresh.seqs(), [1]);
  assert.equal(s.tracker.pending(s.users[1]!.id, s.group.id), false);
  await s.store.close();
});

test('no local socket follows the group: nothing is read', async () => {
  const s = await setup();
  s.tail.committed(s.group.id, await s.commit(1));
  await s.tail.idle();
  assert.deepEqual(s.logReads, []);
  await s.store.close();
});
