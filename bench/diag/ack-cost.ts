// The store's ack path alone, in-process on an SQLite file: one group of 1,000 members, 200 messages, each
// acked by every member in one ack() batch (one message per ack, the dearest case). Prints µs per ack
// (p50 and min over the 200 batches). Used to check what migration 15's trigger and pending-reminder read
// add to every ack (see docs/performance.md, pending reminders in due order).
//
//   node bench/diag/ack-cost.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ackcost-'));
const store = await openSqliteStore(path.join(dir, 'q.db'), { gateway: 'sim' });
const T0 = Date.now();
const owner = await store.users.upsertByPhone('+8613800000000', T0);
const g = await store.groups.create(
  { appNumber: '01', name: 'x', invitePolicy: 'direct', memberCap: 5000, ownerId: owner.id },
  (a) => String(1000 + a),
  T0,
);
const N = 1000;
const users = [];
for (let i = 1; i <= N; i++)
  users.push(await store.users.upsertByPhone(`+86138${String(i).padStart(8, '0')}`, T0));
await store.groups.applyMembership(
  g.id,
  0,
  users.map((u) => ({ userId: u.id, state: 'active' as const, role: 'member' as const })),
  T0,
);
const M = 200;
for (let s = 1; s <= M; s++)
  await store.messages.append([
    {
      groupId: g.id,
      id: `m${s}`,
      senderId: owner.id,
      body: 'hi',
      source: 'http',
      clientMsgId: null,
      audience: 'all',
      createdAt: T0,
    },
  ]);
const times: number[] = [];
for (let s = 1; s <= M; s++) {
  const t = performance.now();
  await store.delivery.ack(
    users.map((u) => ({ groupId: g.id, userId: u.id, seq: s })),
    T0 + s,
  );
  times.push((performance.now() - t) / N);
}
times.sort((a, b) => a - b);
console.log(`µs per ack: p50 ${(times[M / 2]! * 1000).toFixed(2)} min ${(times[0]! * 1000).toFixed(2)}`);
await store.close();
fs.rmSync(dir, { recursive: true });
