// The Store contract, bad input: values one engine would store and the other refuses (a NUL in text, a
// fraction where an integer belongs, a number past its column, a negative limit) are refused by every
// engine alike, with a clear error, changing nothing. Called inside storeContract's describe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupWithMembers, msg, type StoreFactory, T0, withStore } from './store-fixtures.ts';

const nul = { code: 'invalid_characters' };
const notInteger = { name: 'RangeError' };

export function inputContract(factory: StoreFactory): void {
  test('a NUL in any text is refused alike, changing nothing', async () => {
    await withStore(factory, async (store) => {
      const { group, owner } = await groupWithMembers(store, 1);
      await assert.rejects(store.messages.append([{ ...msg(group.id, owner.id, 1), body: 'a\u0000b' }]), nul);
      await assert.rejects(
        store.messages.append([
          msg(group.id, owner.id, 2),
          { ...msg(group.id, owner.id, 3), clientMsgId: '\u0000' },
        ]),
        nul,
      );
      assert.equal(
        (await store.groups.byId(group.id))!.lastSeq,
        0,
        'not even the clean message of the batch',
      );
      await assert.rejects(store.users.setDisplayName(owner.id, 'x\u0000'), nul);
      await assert.rejects(store.groups.rename(group.id, '\u0000'), nul);
      assert.deepEqual(
        [(await store.users.byId(owner.id))!.displayName, (await store.groups.byId(group.id))!.name],
        [null, 'Test'],
      );
      await assert.rejects(
        store.users.byPhone('+86\u0000'),
        nul,
        'reads too: no engine may disagree on them',
      );
      await assert.rejects(store.users.upsertByPhone('+86\u00001', T0), nul);
    });
  });

  test('a fraction, a number past its column or a negative limit is refused alike, changing nothing', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 2);
      await store.messages.append([msg(group.id, owner.id, 1)]);
      await assert.rejects(store.delivery.markRead(users[1]!.id, group.id, 1.5), notInteger);
      await assert.rejects(
        store.delivery.ack([{ groupId: group.id, userId: users[1]!.id, seq: 1 }], T0 + 0.5),
        notInteger,
      );
      assert.deepEqual(
        [
          (await store.groups.member(group.id, users[1]!.id))!.readSeq,
          (await store.groups.member(group.id, users[1]!.id))!.ackedSeq,
        ],
        [0, 0],
      );
      await assert.rejects(
        store.groups.setPolicy(group.id, { memberCap: 2 ** 31, escalateToSms: true }),
        notInteger,
      );
      const g = (await store.groups.byId(group.id))!;
      assert.deepEqual([g.memberCap, g.escalateToSms], [500, false]);
      await assert.rejects(store.messages.range(group.id, 0, 10, -1), notInteger);
      await assert.rejects(store.outbound.claim(-1, T0), notInteger);
      await assert.rejects(store.delivery.claimReminders(T0, Number.NaN), notInteger);
      // The limits themselves still hold: the largest values of each kind are stored as given.
      await store.groups.setPolicy(group.id, { memberCap: 2 ** 31 - 1 });
      assert.equal((await store.groups.byId(group.id))!.memberCap, 2 ** 31 - 1);
      assert.deepEqual(await store.messages.range(group.id, 0, Number.MAX_SAFE_INTEGER, 0), []);
    });
  });
}
