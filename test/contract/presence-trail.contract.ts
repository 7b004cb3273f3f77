// The Store contract for presence entries, the readiness probe and the trail's delivery events (inbox
// shown / confirmed, live acked): both engines must keep and answer them the same way.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import type { StoreFactory } from './store.contract.ts';

const T0 = 1_800_000_000_000;

export function presenceTrailContract(engine: string, factory: StoreFactory): void {
  describe(`Store contract (presence, probe, trail events): ${engine}`, () => {
    test('presence entries expire, are replaced per key, and a restart turns its live entries into reconnecting', async () => {
      const store = await factory.open();
      try {
        const p = store.presence;
        await p.write(
          [
            { userId: 1, node: 'a', kind: 'live', expiresAt: T0 + 30_000 },
            { userId: 2, node: 'a', kind: 'web', expiresAt: T0 + 120_000 },
            { userId: 3, node: 'b', kind: 'live', expiresAt: T0 + 30_000 },
            { userId: 4, node: 'a', kind: 'reconnecting', expiresAt: T0 + 5 },
          ],
          [],
        );
        const at = async (now: number, ids?: number[]) =>
          (await p.active(now, ids)).map((e) => `${e.userId}/${e.node}/${e.kind}/${e.expiresAt}`).sort();
        assert.deepEqual(await at(T0), [
          `1/a/live/${T0 + 30_000}`,
          `2/a/web/${T0 + 120_000}`,
          `3/b/live/${T0 + 30_000}`,
          `4/a/reconnecting/${T0 + 5}`,
        ]);
        assert.deepEqual(
          await at(T0 + 10, [1, 4]),
          [`1/a/live/${T0 + 30_000}`],
          'expired entries are not active',
        );
        assert.deepEqual(await at(T0, []), []);
        // The same key again replaces the entry; a drop deletes it, in the same transaction.
        await p.write(
          [{ userId: 2, node: 'a', kind: 'web', expiresAt: T0 + 200_000 }],
          [{ userId: 1, node: 'a', kind: 'live' }],
        );
        assert.deepEqual(await at(T0, [1, 2]), [`2/a/web/${T0 + 200_000}`]);
        // A heartbeat extends only that node's live entries.
        await p.write([{ userId: 1, node: 'a', kind: 'live', expiresAt: T0 + 30_000 }], []);
        await p.refresh('a', T0 + 90_000);
        assert.deepEqual(await at(T0 + 60_000, [1, 3]), [`1/a/live/${T0 + 90_000}`]);
        // Node a restarts: its live entry becomes reconnecting until the given time; node b's stays live.
        assert.equal(await p.restart('a', T0 + 70_000), 1);
        assert.deepEqual(await at(T0 + 1, [1, 3]), [
          `1/a/reconnecting/${T0 + 70_000}`,
          `3/b/live/${T0 + 30_000}`,
        ]);
        // The sweep deletes what expired before the given time, nothing else.
        assert.equal(await p.sweep(T0 + 31_000), 2, 'user 3 (node b) and user 4 had expired');
        assert.deepEqual(await at(0), [`1/a/reconnecting/${T0 + 70_000}`, `2/a/web/${T0 + 200_000}`]);
      } finally {
        await store.close();
      }
    });

    test('the readiness probe writes and answers', async () => {
      const store = await factory.open();
      try {
        await store.probe(T0);
        await store.probe(T0 + 1);
      } finally {
        await store.close();
      }
      await assert.rejects(store.probe(T0 + 2), 'a closed store is not ready');
    });

    test('acks, inbox answers and confirmations write their own trail events', async () => {
      const store: Store = await factory.open();
      try {
        const owner = await store.users.upsertByPhone('+8613800000100', T0);
        const member = await store.users.upsertByPhone('+8613800000101', T0);
        const live = await store.users.upsertByPhone('+8613800000102', T0);
        const group = await store.groups.create(
          { appNumber: '01', name: 'Trail', invitePolicy: 'direct', memberCap: 50, ownerId: owner.id },
          (a) => String(2000 + a),
          T0,
        );
        assert.ok(
          await store.groups.applyMembership(
            group.id,
            0,
            [member, live].map((u) => ({ userId: u.id, state: 'active' as const, role: 'member' as const })),
            T0,
          ),
        );
        for (let i = 1; i <= 4; i++)
          await store.messages.append([
            {
              groupId: group.id,
              id: `t-${i}`,
              senderId: owner.id,
              body: `m${i}`,
              source: 'http',
              clientMsgId: null,
              audience: 'all',
              createdAt: T0 + i,
            },
          ]);
        // The inbox shows 1..3, then shows them again before any confirmation: one `shown` event.
        await store.delivery.showInInbox(member.id, group.id, [1, 2, 3], T0 + 10, T0 + 600_000);
        await store.delivery.showInInbox(member.id, group.id, [1, 2, 3], T0 + 11, T0 + 600_000);
        await store.delivery.fetched(member.id, [{ groupId: group.id, seq: 3 }], T0 + 12);
        // The next answer shows only 4; a repeated confirmation of 3 adds nothing.
        await store.delivery.showInInbox(member.id, group.id, [4], T0 + 13, T0 + 600_000);
        await store.delivery.fetched(member.id, [{ groupId: group.id, seq: 3 }], T0 + 14);
        // The live member acks 2, then 4.
        await store.delivery.ack([{ groupId: group.id, userId: live.id, seq: 2 }], T0 + 15);
        await store.delivery.ack([{ groupId: group.id, userId: live.id, seq: 4 }], T0 + 16);

        const events = async (seq: number, userId: number) =>
          (await store.delivery.trailFor(group.id, seq))
            .filter((t) => t.userId === userId)
            .map((t) => `${t.rung}/${t.outcome} (${t.seqFrom},${t.seqTo}]`);
        assert.deepEqual(await events(2, member.id), ['inbox/shown (0,3]', 'inbox/confirmed (0,3]']);
        assert.deepEqual(await events(4, member.id), ['inbox/shown (3,4]']);
        assert.deepEqual(await events(2, live.id), ['live/acked (0,2]'], 'no inbox event for a live member');
        assert.deepEqual(await events(3, live.id), ['live/acked (2,4]']);
        assert.deepEqual(await store.delivery.inboxConfirmed(group.id, member.id, 0, 4), [
          { seqFrom: 0, seqTo: 3 },
        ]);
        assert.deepEqual(await store.delivery.inboxConfirmed(group.id, member.id, 3, 4), []);
        assert.deepEqual(await store.delivery.inboxConfirmed(group.id, live.id, 0, 4), []);
      } finally {
        await store.close();
      }
    });

    test('a live client that came back takes back the texts still queued, never one the queue claimed', async () => {
      const store: Store = await factory.open();
      try {
        const owner = await store.users.upsertByPhone('+8613800000200', T0);
        const member = await store.users.upsertByPhone('+8613800000201', T0);
        const group = await store.groups.create(
          { appNumber: '01', name: 'Back', invitePolicy: 'direct', memberCap: 50, ownerId: owner.id },
          (a) => String(3000 + a),
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
        const text = (seq: number) => ({
          kind: 'group_message' as const,
          toPhone: member.phone,
          fromAddr: '1065801',
          text: `t${seq}`,
          groupId: group.id,
          seq,
          userId: member.id,
        });
        await store.outbound.enqueue([text(1)], T0);
        const [claimed] = await store.outbound.claim(1, T0 + 1);
        assert.equal(claimed?.seq, 1);
        await store.outbound.enqueue([text(2), text(3), text(4)], T0 + 2);
        assert.deepEqual(await store.delivery.takeBackTexts(group.id, member.id, 0, 3, T0 + 3), [2, 3]);
        assert.deepEqual(await store.delivery.takeBackTexts(group.id, member.id, 0, 3, T0 + 4), [], 'once');
        const states = await Promise.all([1, 2, 3, 4].map((q) => store.outbound.forMessage(group.id, q)));
        assert.deepEqual(
          states.map((l) => l.map((o) => o.state)),
          [['submitting'], ['cancelled'], ['cancelled'], ['queued']],
        );
        assert.match(states[1]![0]!.error ?? '', /sent live/);
        // A text taken back may be queued again later (an ack timeout on the new connection).
        assert.equal((await store.outbound.enqueue([text(2)], T0 + 5)).filter((id) => id > 0).length, 1);
      } finally {
        await store.close();
      }
    });
  });
}
