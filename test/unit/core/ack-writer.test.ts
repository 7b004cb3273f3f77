// The ack writer against a real store: a lone ack is written on the next turn, and acks that follow a
// write closely wait for the gap and go as one write (one cursor and one trail row per member), so that
// under load a write carries several messages' acks instead of one write per message.
import assert from 'node:assert/strict';
import path from 'node:path';
import { mock, test } from 'node:test';
import { AckWriter, MIN_WRITE_GAP_MS, WRITE_SPACING } from '../../../src/core/ack-writer.ts';
import { fetchInbox } from '../../../src/core/inbox.ts';
import { MemoryPresence } from '../../../src/presence/memory/memory-presence.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { createMetrics } from '../../../src/util/metrics.ts';
import { groupWithMembers, msg, T0 } from '../../contract/store-fixtures.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { tempDir } from '../../helpers/server.ts';

type AckRow = { groupId: number; userId: number; seq: number };
const turn = () => new Promise<void>((r) => setImmediate(r));
const failures: object[] = [];
const log = { error: (o: object) => failures.push(o) };

test('acks close behind a write wait for the gap and go as one write; a lone ack goes at once', async (t) => {
  const store = await openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' });
  t.after(() => store.close());
  const { group, owner, users } = await groupWithMembers(store, 3);
  const [a, b] = [users[1]!, users[2]!];
  await store.messages.append([1, 2, 3].map((seq) => msg(group.id, owner.id, seq)));
  const writes: number[] = [];
  const counted = {
    delivery: {
      ack: (rows: AckRow[], now: number) => {
        writes.push(rows.length);
        return store.delivery.ack(rows, now);
      },
    },
  } as unknown as Store;
  let elapsed = 1_000;
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const acks = new AckWriter(counted, new ManualClock(T0 + 10), createMetrics(), log, () => elapsed);
  const acked = async (userId: number) => (await store.groups.member(group.id, userId))!.ackedSeq;

  acks.add(a.id, group.id, 1);
  await turn();
  await turn();
  assert.deepEqual(writes, [1], 'the first ack after a quiet spell is written on the next turn');
  assert.equal(await acked(a.id), 1);

  // Three more acks from two members over the next turns, inside the gap.
  elapsed += 1;
  acks.add(a.id, group.id, 2);
  await turn();
  acks.add(b.id, group.id, 2);
  acks.add(a.id, group.id, 3);
  await turn();
  await turn();
  assert.deepEqual(writes, [1], 'nothing is written before the gap has passed');
  assert.equal(await acked(a.id), 1);

  elapsed += MIN_WRITE_GAP_MS;
  mock.timers.tick(MIN_WRITE_GAP_MS);
  await turn();
  await turn();
  assert.deepEqual(
    writes,
    [1, 2],
    'one write once the gap has passed, each member once with its highest seq',
  );
  assert.equal(await acked(a.id), 3);
  assert.equal(await acked(b.id), 2);
  const trail = (await store.delivery.trailFor(group.id, 3)).filter((e) => e.outcome === 'acked');
  assert.deepEqual(
    trail.map((e) => [e.userId, e.seqFrom, e.seqTo]),
    [[a.id, 1, 3]],
    'member a acked 2 and 3 in one trail row',
  );

  // Long after the last write, a lone ack again goes on the next turn.
  elapsed += 10 * MIN_WRITE_GAP_MS;
  acks.add(b.id, group.id, 3);
  await turn();
  await turn();
  assert.deepEqual(writes, [1, 2, 1]);
  assert.equal(await acked(b.id), 3);
  assert.deepEqual(failures, []);
});

test('a write that took long keeps the next one ten times as far off; idle writes at once', async (t) => {
  const store = await openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' });
  t.after(() => store.close());
  const { group, owner, users } = await groupWithMembers(store, 2);
  const a = users[1]!;
  await store.messages.append([1, 2, 3].map((seq) => msg(group.id, owner.id, seq)));
  let elapsed = 1_000;
  const writes: number[] = [];
  const slow = {
    delivery: {
      ack: (rows: AckRow[], now: number) => {
        writes.push(rows.length);
        elapsed += 20; // this write takes 20 ms
        return store.delivery.ack(rows, now);
      },
    },
  } as unknown as Store;
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const acks = new AckWriter(
    slow,
    new ManualClock(T0 + 10),
    createMetrics(),
    { error: () => {} },
    () => elapsed,
  );

  acks.add(a.id, group.id, 1);
  await turn();
  await turn();
  assert.deepEqual(writes, [1]);
  // The write began at 1,000 and took 20 ms: the next one is due at 1,000 + 10 × 20, 180 ms from now.
  acks.add(a.id, group.id, 2);
  elapsed = 1_000 + 10 * 20 - 1;
  mock.timers.tick(10 * 20 - 20 - 1);
  await turn();
  assert.deepEqual(writes, [1], 'not before ten times the last write');
  elapsed += 1;
  mock.timers.tick(1);
  await turn();
  await turn();
  assert.deepEqual(writes, [1, 1]);
  assert.equal(WRITE_SPACING, 10);

  // A stop does not wait out the gap.
  acks.add(a.id, group.id, 3);
  await acks.idle();
  assert.deepEqual(writes, [1, 1, 1], 'idle wrote without the timer');
  assert.equal((await store.groups.member(group.id, a.id))!.ackedSeq, 3);
});

test('an inbox pull writes the member’s held acks first: what their live client acked is not shown again', async (t) => {
  const store = await openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' });
  t.after(() => store.close());
  const { group, owner, users } = await groupWithMembers(store, 3);
  const [a, b] = [users[1]!, users[2]!];
  await store.messages.append([1, 2].map((seq) => msg(group.id, owner.id, seq)));
  let elapsed = 1_000;
  mock.timers.enable({ apis: ['setTimeout'] });
  t.after(() => mock.timers.reset());
  const clock = new ManualClock(T0 + 10);
  const acks = new AckWriter(store, clock, createMetrics(), { error: () => {} }, () => elapsed);
  acks.add(b.id, group.id, 1);
  await turn();
  await turn();
  // Inside the gap after b's write: a's ack of both messages is held.
  elapsed += 1;
  acks.add(a.id, group.id, 2);
  const deps = {
    store,
    presence: new MemoryPresence(60_000, 0, () => clock.now()),
    clock,
    metrics: createMetrics(),
    reminderDelayMs: 60_000,
  };
  const other = await fetchInbox({ ...deps, acksWritten: (u) => acks.writtenFor(u) }, b);
  assert.equal((await store.groups.member(group.id, a.id))!.ackedSeq, 0, 'b’s pull leaves a’s acks held');
  assert.deepEqual(
    other[0]!.messages.map((m) => m.seq),
    [2],
  );
  const mine = await fetchInbox({ ...deps, acksWritten: (u) => acks.writtenFor(u) }, a);
  assert.deepEqual(
    mine[0]!.messages.map((m) => m.seq),
    [],
    'both were acked live: nothing pending',
  );
  assert.equal((await store.groups.member(group.id, a.id))!.ackedSeq, 2);
});
