// The Store contract for delivery policy: preferences, group budget settings, SMS spend, the once-per-
// period budget notice, held texts and the digest merge at claim time. Both engines must agree.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_PREFS } from '../../src/domain/policy.ts';
import type { DigestComposer, NewOutbound, Store } from '../../src/store/store.ts';
import type { StoreFactory } from './store.contract.ts';

const T0 = 1_800_000_000_000;

async function setup(store: Store) {
  const owner = await store.users.upsertByPhone('+8613800000000', T0);
  const member = await store.users.upsertByPhone('+8613800000001', T0);
  const group = await store.groups.create(
    { appNumber: '01', name: 'Hiking club', invitePolicy: 'direct', memberCap: 50, ownerId: owner.id },
    (attempt) => String(2000 + attempt),
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
  const appended = await store.messages.append(
    [1, 2, 3].map((i) => ({
      groupId: group.id,
      id: `p-${group.id}-${i}`,
      senderId: owner.id,
      body: `news ${i}`,
      source: 'http' as const,
      clientMsgId: null,
      audience: 'all' as const,
      createdAt: T0 + i,
      ...(i === 3 ? { urgent: true } : {}),
    })),
  );
  return { owner, member, group, appended };
}

const held = (
  groupId: number,
  userId: number,
  seq: number,
  notBefore: number,
  digest: boolean,
): NewOutbound => ({
  kind: 'group_message',
  toPhone: '+8613800000001',
  fromAddr: '1065801',
  text: `single ${seq}`,
  groupId,
  seq,
  userId,
  notBefore,
  digest,
});

export function policyStoreContract(engine: string, factory: StoreFactory): void {
  describe(`Store contract (delivery policy): ${engine}`, () => {
    test('preferences and group policy round-trip; urgent is kept on the message', async () => {
      const store = await factory.open();
      try {
        const { member, group, appended } = await setup(store);
        assert.deepEqual(await store.policy.prefsOf(group.id, member.id), DEFAULT_PREFS);
        const p = {
          smsMode: 'urgent_only' as const,
          muted: false,
          digest: true,
          quiet: { start: 22, end: 7 },
          timeZone: 'Europe/Berlin',
        };
        await store.policy.setPrefs(group.id, member.id, p, T0);
        assert.deepEqual(await store.policy.prefsOf(group.id, member.id), p);
        assert.deepEqual([...(await store.policy.prefsForGroup(group.id))], [[member.id, p]]);
        await store.policy.setPrefs(group.id, member.id, { ...p, quiet: null, timeZone: null }, T0);
        assert.equal((await store.policy.prefsOf(group.id, member.id)).quiet, null);
        const gp = { smsBudgetDay: 10, smsBudgetMonth: null, digestWindowMs: 600_000 };
        await store.policy.setGroupPolicy(group.id, gp, T0);
        assert.deepEqual(await store.policy.groupPolicy(group.id), gp);
        assert.equal((await store.messages.byId(appended[2]!.message.id))?.urgent, true);
        assert.equal((await store.messages.byId(appended[0]!.message.id))?.urgent, undefined);
      } finally {
        await store.close();
      }
    });

    test('spend counts group texts not cancelled since a time; the budget notice is claimed once per period', async () => {
      const store = await factory.open();
      try {
        const { member, group } = await setup(store);
        const ids = await store.outbound.enqueue(
          [1, 2, 3].map((s) => held(group.id, member.id, s, 0, false)),
          T0,
        );
        assert.equal(await store.policy.smsSpent(group.id, T0), 3);
        assert.equal(await store.policy.smsSpent(group.id, T0 + 1), 0);
        assert.equal(ids.length, 3);
        assert.equal(await store.policy.claimBudgetNotice(group.id, 'day:1', T0), true);
        assert.equal(await store.policy.claimBudgetNotice(group.id, 'day:1', T0), false);
        assert.equal(await store.policy.claimBudgetNotice(group.id, 'day:2', T0), true);
      } finally {
        await store.close();
      }
    });

    test('a held text waits for its time; a due digest text carries the other held ones', async () => {
      const store = await factory.open();
      try {
        const { member, group } = await setup(store);
        await store.outbound.enqueue(
          [
            held(group.id, member.id, 1, T0 + 100, true),
            held(group.id, member.id, 2, T0 + 200, true),
            held(group.id, member.id, 3, T0 + 50, false),
          ],
          T0,
        );
        const compose: DigestComposer = (parts, to) => ({
          text: `${to}: ${parts.map((p) => `${p.senderPhone}/${p.body}`).join('|')}`,
          whole: parts.length,
        });
        assert.deepEqual(await store.outbound.claim(10, T0, compose), []);
        const plain = await store.outbound.claim(10, T0 + 50, compose);
        assert.deepEqual(
          plain.map((o) => o.text),
          ['single 3'],
        );
        const digest = await store.outbound.claim(10, T0 + 100, compose);
        assert.deepEqual(
          digest.map((o) => o.text),
          ['+8613800000001: +8613800000000/news 1|+8613800000000/news 2'],
        );
        const second = await store.outbound.forMessage(group.id, 2);
        assert.equal(second[0]?.state, 'digested');
        assert.equal(second[0]?.error, `in digest text #${digest[0]!.id}`);
        assert.deepEqual(
          await store.outbound.claim(10, T0 + 1000, compose),
          [],
          'the carried text never goes alone',
        );
        assert.equal(await store.policy.smsSpent(group.id, T0), 2, 'a digest counts once');
      } finally {
        await store.close();
      }
    });
    test('texts a digest could not carry whole are cancelled, so the inbox shows them', async () => {
      const store = await factory.open();
      try {
        const { member, group } = await setup(store);
        await store.outbound.enqueue(
          [1, 2, 3].map((q) => held(group.id, member.id, q, T0 + 10, true)),
          T0,
        );
        const claimed = await store.outbound.claim(10, T0 + 10, () => ({ text: 'cut digest', whole: 2 }));
        assert.deepEqual(
          claimed.map((o) => [o.seq, o.text]),
          [[1, 'cut digest']],
        );
        assert.equal((await store.outbound.forMessage(group.id, 2))[0]?.state, 'digested');
        const third = (await store.outbound.forMessage(group.id, 3))[0];
        assert.equal(third?.state, 'cancelled');
        assert.match(third?.error ?? '', /in the inbox/);
        assert.deepEqual([...(await store.outbound.textedSeqs(group.id, member.id, 0))].sort(), [1, 2]);
      } finally {
        await store.close();
      }
    });
  });
}
