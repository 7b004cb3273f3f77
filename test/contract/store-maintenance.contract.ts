// The Store contract for operator work (docs/deployment.md#retention, #data-protection): server keys,
// retention, member export and erasure; and the quiet-hours postponement of a pending reminder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupWithMembers, msg, type StoreFactory, smsRoute, T0, withStore } from './store-fixtures.ts';

const DAY_MS = 86_400_000;

export function maintenanceContract(factory: StoreFactory): void {
  test('a server key: the first value stored wins', async () => {
    await withStore(factory, async (store) => {
      assert.equal(await store.maintenance.keyOrPut('vapid', 'first', T0), 'first');
      assert.equal(await store.maintenance.keyOrPut('vapid', 'second', T0 + 1), 'first');
      assert.equal(await store.maintenance.keyOrPut('other', 'third', T0 + 2), 'third');
      assert.equal(await store.maintenance.keyOrPut('vapid', 'fourth', T0 + 3), 'first');
    });
  });

  test('retention prunes old messages below every member settled cursor and raises prunedSeq', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 2);
      const member = users[1]!;
      const kept = await groupWithMembers(store, 1);
      await store.messages.append([1, 2, 3, 4].map((i) => msg(group.id, owner.id, i)));
      await store.messages.append([1, 2].map((i) => msg(kept.group.id, owner.id, i)));
      // The member's texts for 1..2 are finished (cancelled by the ack); the trail rows cover them.
      await store.delivery.route([smsRoute(group.id, member, 0, 2)]);
      await store.delivery.ack(
        [
          { groupId: group.id, userId: owner.id, seq: 4 },
          { groupId: group.id, userId: member.id, seq: 2 },
          { groupId: kept.group.id, userId: kept.owner.id, seq: 2 },
        ],
        T0 + 10,
      );
      await assert.rejects(store.maintenance.setRetention(999_999, 1));
      await store.maintenance.setRetention(group.id, 1);
      // Messages 1..3 are older than a day; the member has settled only 1..2; the other group keeps all.
      const now = T0 + DAY_MS + 3.5;
      assert.deepEqual(await store.maintenance.pruneHistory(now, 0, 100), { groups: 1, deleted: 2 });
      assert.deepEqual(
        (await store.messages.range(group.id, 0, 100, 100)).map((m) => m.seq),
        [3, 4],
      );
      assert.equal((await store.groups.byId(group.id))!.prunedSeq, 2);
      // Trail rows ending at or below the pruned seq go; the owner's ack of (0, 4] stays.
      assert.deepEqual(
        (await store.delivery.trailFor(group.id, 1)).map((t) => [t.userId, t.seqTo]),
        [[owner.id, 4]],
      );
      assert.deepEqual(await store.outbound.forMessage(group.id, 1), []);
      assert.equal((await store.messages.range(kept.group.id, 0, 100, 100)).length, 2);
      assert.equal((await store.groups.byId(kept.group.id))!.prunedSeq ?? 0, 0);
      assert.deepEqual(await store.maintenance.pruneHistory(now, 0, 100), { groups: 0, deleted: 0 });
      // Once the member settles 4, only 3 goes: 4 is younger than the retention.
      await store.delivery.ack([{ groupId: group.id, userId: member.id, seq: 4 }], T0 + 20);
      assert.deepEqual(await store.maintenance.pruneHistory(now, 0, 100), { groups: 1, deleted: 1 });
      assert.deepEqual(
        (await store.messages.range(group.id, 0, 100, 100)).map((m) => m.seq),
        [4],
      );
      assert.equal((await store.groups.byId(group.id))!.prunedSeq, 3);
      // Retention 0 keeps everything, whatever the default.
      await store.maintenance.setRetention(group.id, 0);
      assert.deepEqual(await store.maintenance.pruneHistory(now + 10 * DAY_MS, 1, 100), {
        groups: 1,
        deleted: 2,
      });
      assert.equal((await store.messages.range(group.id, 0, 100, 100)).length, 1, 'group at 0 kept');
      assert.equal((await store.messages.range(kept.group.id, 0, 100, 100)).length, 0, 'default applies');
      // The batch bounds each group's prefix.
      await store.maintenance.setRetention(group.id, null);
      await store.messages.append([5, 6, 7].map((i) => msg(group.id, owner.id, i)));
      await store.delivery.ack(
        [
          { groupId: group.id, userId: owner.id, seq: 7 },
          { groupId: group.id, userId: member.id, seq: 7 },
        ],
        T0 + 30,
      );
      assert.deepEqual(await store.maintenance.pruneHistory(now + 10 * DAY_MS, 1, 2), {
        groups: 1,
        deleted: 2,
      });
      assert.equal((await store.groups.byId(group.id))!.prunedSeq, 5);
    });
  });

  test('export hands over the member rows without secrets; erasure deletes and anonymises them', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 3);
      const member = users[1]!;
      const other = users[2]!;
      await store.users.createSession('hash-of-member-token', member.id, T0, T0 + DAY_MS);
      await store.users.createSession('hash-of-other-token', other.id, T0, T0 + DAY_MS);
      await store.messages.append([
        msg(group.id, owner.id, 1),
        msg(group.id, member.id, 2, 'client-1'),
        msg(group.id, other.id, 3),
      ]);
      await store.delivery.route([smsRoute(group.id, member, 0, 3)]);
      assert.equal(await store.maintenance.exportMember('+8613800000099'), undefined);

      const exp = await store.maintenance.exportMember(member.phone);
      assert.ok(exp);
      assert.equal(exp.phone, member.phone);
      assert.equal(exp.userId, member.id);
      assert.deepEqual(
        exp.groups.map((g) => [g.groupId, g.groupNumber, g.name]),
        [[group.id, group.groupNumber, 'Test']],
      );
      assert.deepEqual(
        exp.tables.users!.map((u) => [u.id, u.phone]),
        [[member.id, member.phone]],
      );
      assert.deepEqual(
        exp.tables.messages!.map((m) => [m.seq, m.body]),
        [[2, 'message 2']],
      );
      assert.ok(exp.tables.memberships!.length >= 1);
      for (const m of exp.tables.memberships!) assert.equal(m.user_id, member.id);
      assert.equal(exp.tables.sessions!.length, 1);
      assert.equal(exp.tables.outbound_sms!.length, 3);
      for (const o of exp.tables.outbound_sms!) assert.equal(o.to_phone, member.phone);
      assert.ok(exp.tables.trail!.length >= 1);
      for (const rows of Object.values(exp.tables))
        for (const row of rows)
          for (const k of ['token_hash', 'code_hash', 'p256dh', 'auth']) assert.ok(!(k in row));
      const versionBefore = await store.groups.version(group.id);

      const report = await store.maintenance.eraseMember(member.phone, T0 + 100);
      assert.ok(report);
      assert.equal(report.userId, member.id);
      assert.equal(report.anonymised.users, 1);
      assert.equal(report.anonymised.messages, 1);
      assert.ok(report.anonymised.memberships! >= 1);
      assert.equal(report.anonymised.outbound_sms, 3);
      assert.equal(report.deleted.sessions, 1);
      assert.ok(report.deleted.trail! >= 1);

      assert.equal(await store.users.byPhone(member.phone), undefined);
      const erased = await store.users.byId(member.id);
      assert.equal(erased?.phone, `erased:${member.id}`);
      assert.equal(erased?.displayName, null);
      assert.equal(erased?.smsOptedOut, true);
      assert.equal(await store.users.sessionUser('hash-of-member-token', T0 + 1), undefined);
      assert.equal((await store.users.sessionUser('hash-of-other-token', T0 + 1))?.id, other.id);
      const log = await store.messages.range(group.id, 0, 100, 100);
      assert.deepEqual(
        log.map((m) => [m.seq, m.body]),
        [
          [1, 'message 1'],
          [2, ''],
          [3, 'message 3'],
        ],
        'the log stays gap-free; only the erased member’s body is emptied',
      );
      assert.equal(log[1]!.clientMsgId, null);
      const removed = await store.groups.members(group.id, ['removed']);
      assert.deepEqual(
        removed.map((m) => m.userId),
        [member.id],
      );
      assert.deepEqual(
        (await store.groups.members(group.id, ['active'])).map((m) => m.userId).sort((a, b) => a - b),
        [owner.id, other.id].sort((a, b) => a - b),
      );
      assert.ok((await store.groups.version(group.id)) > versionBefore, 'the group version is bumped');
      const texts = (await Promise.all([1, 2, 3].map((s) => store.outbound.forMessage(group.id, s)))).flat();
      assert.equal(texts.length, 3, 'texts keep their billing record');
      for (const t of texts) {
        assert.equal(t.toPhone, `erased:${member.id}`);
        assert.equal(t.text, '');
        assert.equal(t.state, 'cancelled');
        assert.equal(t.error, 'erased');
      }
      assert.deepEqual(await store.delivery.trailFor(group.id, 1), []);
      assert.equal(await store.maintenance.eraseMember(member.phone, T0 + 200), undefined);
      assert.equal(await store.maintenance.exportMember(member.phone), undefined);
      await store.maintenance.close();
    });
  });

  test('a pending reminder is postponed; a member without one gets none', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 3);
      const [a, b] = [users[1]!, users[2]!];
      await store.messages.append([msg(group.id, owner.id, 1), msg(group.id, owner.id, 2)]);
      await store.delivery.route([
        smsRoute(group.id, a, 0, 2, { rung: 'inbox', sms: [], reminderDueAt: T0 + 100 }),
      ]);
      // The scan claimed it, then found the member in quiet hours: the postponement ends its lease.
      assert.equal((await store.delivery.claimReminders(T0 + 100, 10)).length, 1);
      await store.policy.postponeReminder(group.id, a.id, T0 + 500);
      await store.policy.postponeReminder(group.id, b.id, T0 + 200);
      assert.deepEqual(await store.delivery.claimReminders(T0 + 499, 10), []);
      const due = await store.delivery.claimReminders(T0 + 500, 10);
      assert.deepEqual(
        due.map((d) => [d.userId, d.fromSeq, d.toSeq]),
        [[a.id, 0, 2]],
      );
    });
  });
}
