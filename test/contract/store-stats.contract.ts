// The dashboard's StatsStore and "sign out everywhere" in the Store contract: the same figures on every
// engine (buckets, the funnel from trail ranges, texts and segments per group, member counts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../src/store/store.ts';

const T0 = 1_800_000_000_000;
const HOUR = 3_600_000;

export function statsContract(factory: { open(): Promise<Store> }): void {
  test('stats: funnel per bucket from trail ranges, texts and segments per group, member counts', async () => {
    const store = await factory.open();
    try {
      const owner = await store.users.upsertByPhone('+8613900000000', T0);
      const member = await store.users.upsertByPhone('+8613900000001', T0);
      const group = await store.groups.create(
        { appNumber: '01', name: 'Stats', invitePolicy: 'direct', memberCap: 500, ownerId: owner.id },
        () => '4242',
        T0,
      );
      assert.ok(
        await store.groups.applyMembership(
          group.id,
          0,
          [{ userId: member.id, state: 'active', role: 'member' }],
          T0,
        ),
      );
      await store.delivery.addTrail([
        {
          groupId: group.id,
          userId: member.id,
          seqFrom: 0,
          seqTo: 3,
          rung: 'inbox',
          outcome: 'waiting',
          reason: 't',
          at: T0 + 10,
        },
        {
          groupId: group.id,
          userId: member.id,
          seqFrom: 3,
          seqTo: 4,
          rung: 'inbox',
          outcome: 'waiting',
          reason: 't',
          at: T0 + HOUR + 5,
        },
      ]);
      const funnel = await store.stats.funnel(T0 - HOUR, HOUR, group.id);
      const at = (b: number) => funnel.find((r) => r.bucket === b && r.rung === 'inbox')?.n;
      const b0 = Math.floor((T0 + 10) / HOUR) * HOUR;
      assert.equal(at(b0), 3, 'a trail row counts its range of messages');
      assert.equal(at(b0 + HOUR), 1);
      assert.deepEqual(await store.stats.funnel(T0 - HOUR, HOUR, group.id + 999), []);

      const ids = await store.outbound.enqueue(
        [1, 2].map((seq) => ({
          kind: 'group_message' as const,
          toPhone: member.phone,
          fromAddr: '10658014242',
          text: `t${seq}`,
          groupId: group.id,
          seq,
          userId: member.id,
        })),
        T0 + 20,
      );
      assert.equal(ids.length, 2);
      const texts = await store.stats.texts(T0 - HOUR, HOUR, null);
      assert.deepEqual(
        texts.filter((r) => r.bucket === b0).map((r) => [r.state, r.n]),
        [['queued', 2]],
      );
      // Only texts handed to the gateway cost money.
      assert.deepEqual(await store.stats.spend(T0 - HOUR, group.id), []);
      const [claimed] = await store.outbound.claim(1, T0 + 25);
      assert.ok(claimed, 'a text to submit');
      await store.outbound.markSubmitted(
        claimed.id,
        { gatewayRef: 'r1', encoding: 'gsm7', segments: 2 },
        T0 + 30,
      );
      const spend = await store.stats.spend(T0 - HOUR, null);
      assert.deepEqual(spend, [{ groupId: group.id, name: 'Stats', texts: 1, segments: 2 }]);
      const groups = await store.stats.groups();
      assert.deepEqual(
        groups.map((g) => [g.name, g.members, g.lastSeq]),
        [['Stats', 2, 0]],
      );
    } finally {
      await store.close();
    }
  });

  test('revokeAllSessions ends every session of one user and no other', async () => {
    const store = await factory.open();
    try {
      const a = await store.users.upsertByPhone('+8613900000010', T0);
      const b = await store.users.upsertByPhone('+8613900000011', T0);
      for (const h of ['a1', 'a2']) await store.users.createSession(h, a.id, T0, T0 + HOUR);
      await store.users.createSession('b1', b.id, T0, T0 + HOUR);
      assert.equal(await store.users.revokeAllSessions(a.id, T0 + 1), 2);
      assert.equal(await store.users.sessionUser('a1', T0 + 2), undefined);
      assert.equal(await store.users.sessionUser('a2', T0 + 2), undefined);
      assert.equal((await store.users.sessionUser('b1', T0 + 2))?.id, b.id);
      assert.equal(await store.users.revokeAllSessions(a.id, T0 + 3), 0);
    } finally {
      await store.close();
    }
  });
}
