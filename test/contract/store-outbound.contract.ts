// The Store contract, SMS queue part: re-checks before sending, batch and single outcomes, retries,
// and the simulated phones. Called inside storeContract's describe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NewOutbound } from '../../src/store/store.ts';
import {
  groupWithMembers,
  msg,
  type StoreFactory,
  smsRoute,
  T0,
  text,
  textStates,
  withStore,
} from './store-fixtures.ts';

const reply = (toPhone: string, i: number): NewOutbound => ({
  kind: 'reply',
  toPhone,
  fromAddr: '10658',
  text: `reply ${i}`,
  groupId: null,
  seq: null,
  userId: null,
});

export function outboundContract(factory: StoreFactory): void {
  test('a group message already texted is not queued again, and uses up no text id', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 2);
      const member = users[1]!;
      await store.messages.append([msg(group.id, owner.id, 1)]);
      const t1 = text(group.id, member.id, member.phone, 1);
      const [first, repeat] = await store.outbound.enqueue([t1, t1], T0);
      assert.equal(repeat, 0, 'not queued again');
      assert.deepEqual(await store.outbound.enqueue([t1], T0), [0]);
      await store.delivery.route([smsRoute(group.id, member, 0, 1)]);
      // Ids are the queue's order on every engine: a text not queued takes none.
      const [next] = await store.outbound.enqueue([reply(member.phone, 1)], T0);
      assert.equal(next, first! + 1);
      // Once the first is cancelled, the message may be texted again (a new decision).
      await store.delivery.ack([{ groupId: group.id, userId: member.id, seq: 1 }], T0 + 1);
      assert.deepEqual(await store.outbound.enqueue([t1], T0 + 2), [first! + 2]);
      assert.deepEqual(await textStates(store, group.id, [1]), [['cancelled', 'queued']]);
    });
  });

  test('a claimed text is re-checked: leaving the group or STOP cancels it, otherwise it goes', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 4);
      const [stays, leaves, stops] = [users[1]!, users[2]!, users[3]!];
      await store.messages.append([msg(group.id, owner.id, 1)]);
      await store.delivery.route([stays, leaves, stops].map((u) => smsRoute(group.id, u, 0, 1)));
      const [confirm] = await store.outbound.enqueue(
        [{ ...reply(stops.phone, 0), kind: 'notice', ignoreOptOut: true }],
        T0,
      );
      const claimed = await store.outbound.claim(10, T0);
      assert.equal(claimed.length, 4);
      const idOf = (userId: number) => claimed.find((o) => o.userId === userId)!.id;
      const v = await store.groups.version(group.id);
      await store.groups.applyMembership(
        group.id,
        v,
        [{ userId: leaves.id, state: 'removed', role: 'member' }],
        T0,
      );
      await store.users.setOptOut(stops.phone, true, T0);
      assert.equal(await store.outbound.recheck(idOf(stays.id), T0 + 1), undefined);
      assert.equal(await store.outbound.recheck(idOf(leaves.id), T0 + 1), 'no longer a member');
      assert.equal(await store.outbound.recheck(idOf(stops.id), T0 + 1), 'number opted out (STOP)');
      assert.equal(
        await store.outbound.recheck(confirm!, T0 + 1),
        undefined,
        'the STOP confirmation still goes',
      );
      const after = await Promise.all([stays, leaves, stops].map((u) => store.outbound.get(idOf(u.id))));
      assert.deepEqual(
        after.map((o) => [o!.state, o!.error, o!.updatedAt]),
        [
          ['submitting', null, T0],
          ['cancelled', 'no longer a member', T0 + 1],
          ['cancelled', 'number opted out (STOP)', T0 + 1],
        ],
      );
      // Not submitting any more: nothing to send, and its state is left alone.
      assert.equal(await store.outbound.recheck(idOf(leaves.id), T0 + 2), 'no longer pending');
      assert.equal((await store.outbound.get(idOf(leaves.id)))!.updatedAt, T0 + 1);
      assert.equal(await store.outbound.recheck(999_999, T0 + 2), 'no longer pending');
      assert.deepEqual(
        (await store.outbound.inDoubt()).map((o) => o.id).sort((a, b) => a - b),
        [idOf(stays.id), confirm!].sort((a, b) => a - b),
      );
    });
  });

  test('outcomes: submitted in a batch (first entry wins), failed, requeued until its time', async () => {
    await withStore(factory, async (store) => {
      const phone = '+8613700000009';
      const ids = await store.outbound.enqueue(
        [0, 1, 2, 3].map((i) => reply(phone, i)),
        T0,
      );
      assert.equal(new Set(ids).size, 4);
      const claimed = await store.outbound.claim(10, T0);
      assert.deepEqual(
        claimed.map((o) => [o.id, o.state, o.attempts]),
        ids.map((id) => [id, 'submitting', 1]),
      );
      const [a, b, c, d] = ids as [number, number, number, number];
      await store.outbound.markSubmittedMany(
        [
          { id: a, gatewayRef: 'ref-a', encoding: 'gsm7', segments: 1 },
          { id: b, gatewayRef: null, encoding: 'ucs2', segments: 3 },
          { id: a, gatewayRef: 'ref-a2', encoding: 'ucs2', segments: 9 },
        ],
        T0 + 1,
      );
      await store.outbound.markSubmittedMany([], T0 + 1);
      const [sa, sb] = [(await store.outbound.get(a))!, (await store.outbound.get(b))!];
      assert.deepEqual(
        [sa.state, sa.gatewayRef, sa.encoding, sa.segments, sa.updatedAt],
        ['submitted', 'ref-a', 'gsm7', 1, T0 + 1],
      );
      assert.deepEqual([sb.state, sb.gatewayRef, sb.encoding, sb.segments], ['submitted', null, 'ucs2', 3]);
      // Only a text still submitting is marked: a second outcome for it changes nothing.
      await store.outbound.markSubmitted(a, { gatewayRef: 'late', encoding: 'ucs2', segments: 2 }, T0 + 2);
      assert.equal((await store.outbound.get(a))!.gatewayRef, 'ref-a');
      assert.deepEqual(
        (await store.outbound.receiptCandidates('sim', 'REF-A')).map((o) => o.id),
        [a],
      );
      assert.equal((await store.outbound.settleReceipt(a, false, 'UNDELIV', T0 + 3))?.id, a);
      assert.deepEqual(
        [(await store.outbound.get(a))!.state, (await store.outbound.get(a))!.error],
        ['failed', 'UNDELIV'],
      );
      assert.deepEqual(await store.outbound.receiptCandidates('kannel', 'ref-a'), [], 'per gateway');
      await store.outbound.markFailed(c, 'rejected by the gateway', T0 + 4);
      const fc = (await store.outbound.get(c))!;
      assert.deepEqual(
        [fc.state, fc.error, fc.updatedAt, fc.attempts],
        ['failed', 'rejected by the gateway', T0 + 4, 1],
      );
      await store.outbound.requeue(d, 'throttled', T0 + 100, T0 + 5);
      const qd = (await store.outbound.get(d))!;
      assert.deepEqual([qd.state, qd.error, qd.updatedAt], ['queued', 'throttled', T0 + 5]);
      assert.equal(await store.outbound.depth(), 1);
      assert.deepEqual(await store.outbound.claim(10, T0 + 99), [], 'not before its time');
      const again = await store.outbound.claim(10, T0 + 100);
      assert.deepEqual(
        again.map((o) => [o.id, o.state, o.attempts]),
        [[d, 'submitting', 2]],
      );
      assert.deepEqual(
        (await store.outbound.inDoubt()).map((o) => o.id),
        [d],
      );
    });
  });

  test('a text handed back waits behind the one in back-off before it, its claim not counted', async () => {
    await withStore(factory, async (store) => {
      const phone = '+8613700000019';
      const [a, b] = (await store.outbound.enqueue([reply(phone, 1), reply(phone, 2)], T0)) as [
        number,
        number,
      ];
      assert.deepEqual(
        (await store.outbound.claim(10, T0)).map((o) => o.id),
        [a, b],
      );
      await store.outbound.requeue(a, 'throttled', T0 + 100, T0 + 1);
      await store.outbound.handBack(b, T0 + 1);
      const hb = (await store.outbound.get(b))!;
      assert.deepEqual([hb.state, hb.attempts, hb.updatedAt], ['queued', 0, T0 + 1]);
      await store.outbound.handBack(b, T0 + 2);
      assert.equal((await store.outbound.get(b))!.attempts, 0, 'only a text in flight is handed back');
      assert.deepEqual(await store.outbound.claim(10, T0 + 2), [], 'b does not overtake a');
      assert.deepEqual(
        (await store.outbound.claim(10, T0 + 100)).map((o) => [o.id, o.attempts]),
        [
          [a, 2],
          [b, 1],
        ],
      );
    });
  });

  test('a claim that takes a number’s due text does not take the ones behind a text in back-off with it', async () => {
    await withStore(factory, async (store) => {
      const phone = '+8613700000029';
      const [a, b, c] = (await store.outbound.enqueue(
        [1, 2, 3].map((i) => reply(phone, i)),
        T0,
      )) as [number, number, number];
      await store.outbound.claim(10, T0);
      await store.outbound.requeue(a, 'reconciled: unknown', T0 + 1, T0 + 1); // due again at once
      await store.outbound.requeue(b, 'throttled', T0 + 100, T0 + 1); // in back-off
      await store.outbound.handBack(c, T0 + 1); // due, behind b
      assert.deepEqual(
        (await store.outbound.claim(10, T0 + 2)).map((o) => o.id),
        [a],
        'c must wait for b',
      );
      await store.outbound.markSubmitted(a, { gatewayRef: 'x', encoding: 'gsm7', segments: 1 }, T0 + 3);
      assert.deepEqual(
        (await store.outbound.claim(10, T0 + 100)).map((o) => o.id),
        [b, c],
      );
    });
  });

  test('a claim does not take a number’s texts past an earlier one still in flight (a take-over reconciling)', async () => {
    await withStore(factory, async (store) => {
      const phone = '+8613700000031';
      // a and b in flight; then the take-over's reconcile puts a back first while b is still being looked
      // up (it requeues one text at a time), and c and d were queued behind them meanwhile.
      const [a, b] = (await store.outbound.enqueue(
        [1, 2].map((i) => reply(phone, i)),
        T0,
      )) as [number, number];
      await store.outbound.claim(10, T0);
      const [c, d] = (await store.outbound.enqueue(
        [3, 4].map((i) => reply(phone, i)),
        T0 + 1,
      )) as [number, number];
      await store.outbound.requeue(a, 'reconciled after restart: unknown', T0 + 2, T0 + 2);
      assert.deepEqual(
        (await store.outbound.claim(10, T0 + 3)).map((o) => o.id),
        [a],
        'c and d must wait for b',
      );
      await store.outbound.markSubmitted(a, { gatewayRef: 'a', encoding: 'gsm7', segments: 1 }, T0 + 4);
      await store.outbound.requeue(b, 'reconciled after restart: unknown', T0 + 5, T0 + 5);
      assert.deepEqual(
        (await store.outbound.claim(10, T0 + 6)).map((o) => o.id),
        [b, c, d],
      );
    });
  });

  test('receipt candidates: every text with the reference, newest first; a final state never moves', async () => {
    await withStore(factory, async (store) => {
      const ids = await store.outbound.enqueue(
        [0, 1, 2].map((i) => reply('+8613700000010', i)),
        T0,
      );
      await store.outbound.claim(10, T0);
      const [old, newer, other] = ids as [number, number, number];
      await store.outbound.markSubmitted(old, { gatewayRef: '00ab', encoding: 'gsm7', segments: 1 }, T0);
      await store.outbound.markSubmitted(newer, { gatewayRef: 'AB', encoding: 'gsm7', segments: 1 }, T0 + 1);
      await store.outbound.markSubmitted(other, { gatewayRef: 'ab1', encoding: 'gsm7', segments: 1 }, T0 + 1);
      // Case and leading zeros do not matter; which of them a receipt means is the domain rule's call.
      assert.deepEqual(
        (await store.outbound.receiptCandidates('sim', '0ab')).map((o) => o.id),
        [newer, old],
      );
      const hit = await store.outbound.settleReceipt(newer, true, 'DELIVRD', T0 + 2);
      assert.deepEqual([hit?.id, hit?.state, hit?.error, hit?.updatedAt], [newer, 'delivered', null, T0 + 2]);
      const states = await Promise.all(ids.map(async (id) => (await store.outbound.get(id))!.state));
      assert.deepEqual(states, ['submitted', 'delivered', 'submitted'], 'the older text keeps its own state');
      // A later receipt cannot move a final state to another.
      assert.equal(await store.outbound.settleReceipt(newer, false, 'UNDELIV', T0 + 3), undefined);
      assert.equal((await store.outbound.get(newer))!.state, 'delivered');
    });
  });

  test('receipts settled in one batch: in order, a repeat finds its text settled, results follow the items', async () => {
    await withStore(factory, async (store) => {
      const ids = await store.outbound.enqueue(
        [0, 1, 2].map((i) => reply(`+861370000003${i}`, i)),
        T0,
      );
      await store.outbound.claim(10, T0);
      const [a, b, queued] = ids as [number, number, number];
      for (const [id, ref] of [
        [a, 'r1'],
        [b, 'r2'],
      ] as const)
        await store.outbound.markSubmitted(id, { gatewayRef: ref, encoding: 'gsm7', segments: 1 }, T0);
      await store.outbound.requeue(queued, 'not submitted', T0, T0);
      const got = await store.outbound.settleReceipts(
        [
          { id: b, ok: false, detail: 'UNDELIV err:001' },
          { id: a, ok: true, detail: 'DELIVRD' },
          { id: b, ok: true, detail: 'DELIVRD' },
          { id: queued, ok: true, detail: 'DELIVRD' },
        ],
        T0 + 5,
      );
      assert.deepEqual(
        got.map((o) => o && [o.id, o.state, o.error, o.updatedAt]),
        [[b, 'failed', 'UNDELIV err:001', T0 + 5], [a, 'delivered', null, T0 + 5], undefined, undefined],
      );
      assert.equal((await store.outbound.get(b))!.state, 'failed', 'the second receipt moved nothing');
      assert.equal(
        (await store.outbound.get(queued))!.state,
        'queued',
        'an unsubmitted text takes no receipt',
      );
      assert.deepEqual(await store.outbound.settleReceipts([], T0 + 6), []);
    });
  });

  test('the simulated phones: a delivery is kept once and marks its text delivered', async () => {
    await withStore(factory, async (store) => {
      const [p1, p2] = ['+8613600000001', '+8613600000002'];
      const idle = await store.users.upsertByPhone('+8613600000003', T0 + 50);
      await store.outbound.enqueue([reply(p1, 1), reply(p2, 2), reply(p1, 3)], T0);
      const claimed = await store.outbound.claim(10, T0);
      for (const [i, o] of claimed.entries())
        await store.sim.deliver(o, { encoding: 'gsm7', segments: 1 }, T0 + 10 * (i + 1));
      await store.sim.deliver(claimed[0]!, { encoding: 'gsm7', segments: 1 }, T0 + 99);
      const first = (await store.outbound.get(claimed[0]!.id))!;
      assert.deepEqual(
        [first.state, first.gatewayRef, first.encoding, first.segments],
        ['delivered', `sim-${first.id}`, 'gsm7', 1],
      );
      const texts = await store.sim.textsTo(p1, 0, 10);
      assert.deepEqual(
        texts.map((t) => [t.from, t.to, t.text, t.at]),
        [
          ['10658', p1, 'reply 1', T0 + 10],
          ['10658', p1, 'reply 3', T0 + 30],
        ],
        'the repeated delivery is not kept twice',
      );
      assert.deepEqual(
        (await store.sim.textsTo(p1, texts[0]!.id, 10)).map((t) => t.text),
        ['reply 3'],
      );
      assert.equal((await store.sim.textsTo(p1, 0, 1)).length, 1);
      assert.deepEqual(await store.sim.textsTo('+8613600000099', 0, 10), []);
      // Every known number, most recent first; one with no texts counts none.
      assert.deepEqual(await store.sim.phones(), [
        { phone: idle.phone, texts: 0, lastAt: T0 + 50 },
        { phone: p1, texts: 2, lastAt: T0 + 30 },
        { phone: p2, texts: 1, lastAt: T0 + 20 },
      ]);
      // Ties on the last time: the higher number first, compared bytewise, on every engine.
      await store.users.upsertByPhone('+8613600000000', T0 + 50);
      await store.users.upsertByPhone('+8613600000010', T0 + 50);
      assert.deepEqual(
        (await store.sim.phones()).slice(0, 3).map((x) => x.phone),
        ['+8613600000010', idle.phone, '+8613600000000'],
      );
    });
  });
}
