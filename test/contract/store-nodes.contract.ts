// The Store contract, two nodes at once and failures: what must hold when the same call runs twice at the
// same moment (on PostgreSQL from a second pool, standing in for a second Qun node; on SQLite from one),
// and that a method that fails part-way changes nothing. Called inside storeContract's describe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { groupWithMembers, msg, type StoreFactory, T0 } from './store-fixtures.ts';

async function withTwo(factory: StoreFactory, body: (a: Store, b: Store) => Promise<void>): Promise<void> {
  const a = await factory.open();
  const b = factory.openSecond ? await factory.openSecond(a) : a;
  try {
    await body(a, b);
  } finally {
    if (b !== a) await b.close();
    await a.close();
  }
}

export function nodesContract(factory: StoreFactory): void {
  test('the same first call from two nodes at once: one user, one subscription, one first sighting', async () => {
    await withTwo(factory, async (a, b) => {
      const phone = '+8613100000001';
      const users = await Promise.all([a, b, a, b].map((s) => s.users.upsertByPhone(phone, T0)));
      assert.equal(new Set(users.map((u) => u.id)).size, 1, 'one user for one phone');
      const firsts = await Promise.all([a, b, a, b].map((s) => s.outbound.firstInbound('smpp', 'ref-1', T0)));
      assert.deepEqual(firsts.filter(Boolean).length, 1, 'exactly one caller sees the reference first');
      await Promise.all(
        [a, b].map((s, i) => s.push.add(users[0]!.id, 'https://push.example/x', `k${i}`, `a${i}`, T0)),
      );
      const subs = await a.push.forUser(users[0]!.id);
      assert.equal(subs.length, 1, 'one subscription per endpoint');
      const opted = await Promise.all([a, b].map((s) => s.users.setOptOut('+8613100000002', true, T0)));
      assert.equal(opted[0]!.id, opted[1]!.id);
      assert.equal((await a.users.byPhone('+8613100000002'))!.smsOptedOut, true);
    });
  });

  test('two membership changes at one version: exactly one applies', async () => {
    await withTwo(factory, async (a, b) => {
      const { group, users } = await groupWithMembers(a, 3);
      const v = await a.groups.version(group.id);
      const results = await Promise.all([
        a.groups.applyMembership(
          group.id,
          v,
          [{ userId: users[1]!.id, state: 'removed', role: 'member' }],
          T0 + 1,
        ),
        b.groups.applyMembership(
          group.id,
          v,
          [{ userId: users[2]!.id, state: 'removed', role: 'member' }],
          T0 + 1,
        ),
      ]);
      assert.deepEqual(results.filter(Boolean).length, 1);
      assert.equal(await a.groups.version(group.id), v + 1);
      const active = (await a.groups.members(group.id, ['active'])).map((m) => m.userId);
      assert.equal(active.length, 2, 'one of the two removals, not both');
    });
  });

  test('acks of one member from two nodes at once, beside its own sends: each seq acked once in the trail', async () => {
    await withTwo(factory, async (a, b) => {
      const { group, owner, users } = await groupWithMembers(a, 2);
      const member = users[1]!;
      await a.messages.append(Array.from({ length: 30 }, (_, i) => msg(group.id, owner.id, i + 1)));
      // The member's own sends move its routed cursor while its acks (from both nodes) move acked_seq.
      await Promise.all([
        ...Array.from({ length: 30 }, (_, i) =>
          (i % 2 ? a : b).delivery.ack([{ groupId: group.id, userId: member.id, seq: i + 1 }], T0 + i + 1),
        ),
        ...Array.from({ length: 5 }, (_, i) => b.messages.append([msg(group.id, member.id, 100 + i)])),
      ]);
      const m = (await a.groups.member(group.id, member.id))!;
      assert.equal(m.ackedSeq, 30);
      assert.ok(m.routedSeq >= 30);
      for (let seq = 1; seq <= 30; seq++) {
        const acked = (await a.delivery.trailFor(group.id, seq)).filter(
          (t) => t.userId === member.id && t.outcome === 'acked',
        );
        assert.equal(acked.length, 1, `seq ${seq} acked once in the trail`);
      }
    });
  });

  test('a method that fails part-way changes nothing', async () => {
    await withTwo(factory, async (store) => {
      const { group, users } = await groupWithMembers(store, 2);
      const v = await store.groups.version(group.id);
      // The second change names a user that does not exist: the first change and the version bump go too.
      await assert.rejects(
        store.groups.applyMembership(
          group.id,
          v,
          [
            { userId: users[1]!.id, state: 'removed', role: 'member' },
            { userId: 987_654, state: 'active', role: 'member' },
          ],
          T0 + 1,
        ),
      );
      assert.equal(await store.groups.version(group.id), v);
      assert.equal((await store.groups.member(group.id, users[1]!.id))!.state, 'active');
      await store.users.createSession('tok', users[0]!.id, T0, T0 + 9);
      await assert.rejects(
        store.users.createSession('tok', users[1]!.id, T0, T0 + 99),
        'a token is used once',
      );
      assert.equal((await store.users.sessionUser('tok', T0))!.id, users[0]!.id);
      assert.equal(await store.users.sessionExpiry('tok', T0), T0 + 9);
    });
  });
}
