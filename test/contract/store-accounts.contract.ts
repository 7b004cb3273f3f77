// The Store contract, accounts part: a user's last group, group policy, held SMS confirmations, invite
// counts and Web Push subscriptions. Called inside storeContract's describe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupWithMembers, msg, type StoreFactory, T0, withStore } from './store-fixtures.ts';

export function accountsContract(factory: StoreFactory): void {
  test('a user remembers the last group it heard from', async () => {
    await withStore(factory, async (store) => {
      const { group, users } = await groupWithMembers(store, 2);
      assert.equal((await store.users.byId(users[1]!.id))!.lastGroupId, null);
      await store.users.setLastGroup(users[1]!.id, group.id);
      assert.equal((await store.users.byId(users[1]!.id))!.lastGroupId, group.id);
      assert.equal((await store.users.byId(users[0]!.id))!.lastGroupId, null, 'only that user');
      const opted = await store.users.setOptOut(users[1]!.phone, true, T0);
      assert.deepEqual([opted.id, opted.smsOptedOut, opted.lastGroupId], [users[1]!.id, true, group.id]);
      const fresh = await store.users.setOptOut('+8613500000001', true, T0 + 1);
      assert.deepEqual(
        [fresh.smsOptedOut, fresh.createdAt],
        [true, T0 + 1],
        'a new number is created opted out',
      );
      assert.equal((await store.users.setOptOut(fresh.phone, false, T0 + 2)).smsOptedOut, false);
    });
  });

  test('a policy change sets the fields given and keeps the others', async () => {
    await withStore(factory, async (store) => {
      const { group } = await groupWithMembers(store, 1);
      const before = (await store.groups.byId(group.id))!;
      assert.deepEqual(
        [before.invitePolicy, before.escalateToSms, before.confirmAdminSms, before.memberCap],
        ['direct', false, false, 500],
      );
      await store.groups.setPolicy(group.id, { escalateToSms: true, memberCap: 20 });
      const mid = (await store.groups.byId(group.id))!;
      assert.deepEqual(
        [mid.invitePolicy, mid.escalateToSms, mid.confirmAdminSms, mid.memberCap],
        ['direct', true, false, 20],
      );
      await store.groups.setPolicy(group.id, {
        invitePolicy: 'confirm',
        confirmAdminSms: true,
        escalateToSms: false,
      });
      await store.groups.setPolicy(group.id, {});
      const after = (await store.groups.byId(group.id))!;
      assert.deepEqual(
        [after.invitePolicy, after.escalateToSms, after.confirmAdminSms, after.memberCap],
        ['confirm', false, true, 20],
      );
      assert.equal(after.lastSeq, before.lastSeq);
      assert.equal(await store.groups.version(group.id), await store.groups.version(group.id));
    });
  });

  // Held confirmations (one pending per phone and group, wrong codes counted): store.contract.ts.

  test('invitations are counted per inviter since a time', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 2);
      // One after another: the member order below goes by user id.
      const invitees = [];
      for (const p of ['+8613300000001', '+8613300000002', '+8613300000003'])
        invitees.push(await store.users.upsertByPhone(p, T0));
      let v = await store.groups.version(group.id);
      const invite = (u: { id: number }, by: number) => ({
        userId: u.id,
        state: 'invited' as const,
        role: 'member' as const,
        invitedBy: by,
      });
      assert.ok(await store.groups.applyMembership(group.id, v++, [invite(invitees[0]!, owner.id)], T0 + 10));
      assert.ok(
        await store.groups.applyMembership(
          group.id,
          v++,
          [invite(invitees[1]!, owner.id), invite(invitees[2]!, users[1]!.id)],
          T0 + 20,
        ),
      );
      assert.equal(await store.groups.countInvitesBy(owner.id, T0), 2);
      assert.equal(await store.groups.countInvitesBy(owner.id, T0 + 11), 1);
      assert.equal(await store.groups.countInvitesBy(users[1]!.id, T0), 1);
      assert.equal(await store.groups.countInvitesBy(invitees[0]!.id, T0), 0);
      // Accepting keeps who invited and when.
      assert.ok(
        await store.groups.applyMembership(
          group.id,
          v++,
          [{ userId: invitees[0]!.id, state: 'active', role: 'member' }],
          T0 + 30,
        ),
      );
      assert.equal(await store.groups.countInvitesBy(owner.id, T0 + 10), 2);
      const m = (await store.groups.member(group.id, invitees[0]!.id))!;
      assert.deepEqual([m.state, m.joinedAt], ['active', T0 + 30]);
      // Members in join order; those who never joined (still invited) first, by user id.
      assert.deepEqual(
        (await store.groups.members(group.id, ['active', 'invited'])).map((x) => [x.userId, x.state]),
        [
          [invitees[1]!.id, 'invited'],
          [invitees[2]!.id, 'invited'],
          [owner.id, 'active'],
          [users[1]!.id, 'active'],
          [invitees[0]!.id, 'active'],
        ],
      );
      assert.deepEqual(await store.groups.members(group.id, []), []);
    });
  });

  test('senders: group, user and membership per key, in order, each as its own read gives it', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 2);
      await store.messages.append([msg(group.id, owner.id, 1)]);
      const outsider = await store.users.upsertByPhone('+8613200000099', T0);
      await store.groups.rename(group.id, 'renamed');
      const keys = [
        { groupId: group.id, userId: users[1]!.id },
        { groupId: group.id, userId: outsider.id },
        { groupId: group.id + 1000, userId: owner.id },
        { groupId: group.id, userId: outsider.id + 1000 },
        { groupId: group.id, userId: owner.id },
      ];
      const got = await store.groups.senders(keys);
      const want = await Promise.all(
        keys.map(async (k) => ({
          group: await store.groups.byId(k.groupId),
          user: await store.users.byId(k.userId),
          member: await store.groups.member(k.groupId, k.userId),
        })),
      );
      assert.deepEqual(got, want);
      assert.equal(got[0]!.group!.name, 'renamed');
      assert.equal(got[0]!.group!.lastSeq, 1);
      assert.deepEqual(
        got.map((s) => [!!s.group, !!s.user, s.member?.role]),
        [
          [true, true, 'member'],
          [true, true, undefined],
          [false, true, undefined],
          [true, false, undefined],
          [true, true, 'owner'],
        ],
      );
      assert.deepEqual(await store.groups.senders([]), []);
    });
  });

  test('push subscriptions: one per endpoint, re-subscribing moves it, removal by endpoint or owner', async () => {
    await withStore(factory, async (store) => {
      const [a, b] = await Promise.all(
        ['+8613200000001', '+8613200000002'].map((p) => store.users.upsertByPhone(p, T0)),
      );
      await store.push.add(a!.id, 'https://push.example/1', 'k1', 'a1', T0);
      await store.push.add(a!.id, 'https://push.example/2', 'k2', 'a2', T0);
      const mine = await store.push.forUser(a!.id);
      assert.deepEqual(
        mine.map((s) => [s.userId, s.endpoint, s.p256dh, s.auth]),
        [
          [a!.id, 'https://push.example/1', 'k1', 'a1'],
          [a!.id, 'https://push.example/2', 'k2', 'a2'],
        ],
      );
      // The same endpoint again, now signed in as b: it moves, with its new keys and the same id.
      await store.push.add(b!.id, 'https://push.example/1', 'k3', 'a3', T0 + 1);
      assert.deepEqual(
        (await store.push.forUser(b!.id)).map((s) => [s.id, s.endpoint, s.p256dh, s.auth]),
        [[mine[0]!.id, 'https://push.example/1', 'k3', 'a3']],
      );
      assert.deepEqual(
        (await store.push.forUser(a!.id)).map((s) => s.endpoint),
        ['https://push.example/2'],
      );
      assert.equal(await store.push.removeForUser(a!.id, 'https://push.example/1'), false, 'not theirs');
      assert.equal(await store.push.removeForUser(b!.id, 'https://push.example/1'), true);
      assert.deepEqual(await store.push.forUser(b!.id), []);
      await store.push.remove('https://push.example/2');
      await store.push.remove('https://push.example/none');
      assert.deepEqual(await store.push.forUser(a!.id), []);
    });
  });
}
