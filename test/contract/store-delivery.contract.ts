// The Store contract, delivery part: inbox fetches and pulls, reads, reminders, escalation and the trail,
// each checked for what it returns and what it changed. Called inside storeContract's describe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  groupWithMembers,
  LEASE,
  msg,
  type StoreFactory,
  smsRoute,
  T0,
  text,
  textStates,
  withStore,
} from './store-fixtures.ts';

export function deliveryContract(factory: StoreFactory): void {
  test('an inbox fetch settles the cursor, cancels queued texts and never passes the log', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 3);
      const [member, leaver] = [users[1]!, users[2]!];
      await store.messages.append([1, 2, 3].map((i) => msg(group.id, owner.id, i)));
      await store.delivery.route([smsRoute(group.id, member, 0, 3), smsRoute(group.id, leaver, 0, 3)]);
      assert.equal(await store.delivery.fetched(member.id, [{ groupId: group.id, seq: 2 }], T0 + 1), 2);
      const m = (await store.groups.member(group.id, member.id))!;
      assert.deepEqual([m.fetchedSeq, m.ackedSeq, m.routedSeq], [2, 0, 3]);
      const texts = await Promise.all([1, 2, 3].map((s) => store.outbound.forMessage(group.id, s)));
      const mine = texts.map((l) => l.find((o) => o.userId === member.id)!);
      assert.deepEqual(
        mine.map((o) => [o.state, o.error]),
        [
          ['cancelled', 'fetched from the inbox before the SMS left'],
          ['cancelled', 'fetched from the inbox before the SMS left'],
          ['queued', null],
        ],
      );
      assert.equal(mine[0]!.updatedAt, T0 + 1);
      // Beyond the end of the log: the cursor stops at the end; the last text goes too.
      assert.equal(await store.delivery.fetched(member.id, [{ groupId: group.id, seq: 50 }], T0 + 2), 1);
      assert.equal((await store.groups.member(group.id, member.id))!.fetchedSeq, 3);
      assert.equal(await store.delivery.fetched(member.id, [], T0 + 3), 0);
      // A member who left: nothing moves, nothing is cancelled (their texts were cancelled on leaving).
      const v = await store.groups.version(group.id);
      await store.groups.applyMembership(
        group.id,
        v,
        [{ userId: leaver.id, state: 'left', role: 'member' }],
        T0,
      );
      assert.deepEqual(await textStates(store, group.id, [1]), [['cancelled', 'cancelled']]);
      assert.equal(await store.delivery.fetched(leaver.id, [{ groupId: group.id, seq: 3 }], T0 + 4), 0);
      assert.equal((await store.groups.member(group.id, leaver.id))!.fetchedSeq, 0);
      const left = (await store.outbound.forMessage(group.id, 1)).find((o) => o.userId === leaver.id)!;
      assert.equal(left.error, 'no longer a member');
    });
  });

  test('one batch may hold several acks of one member and several routes of one member', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 3);
      const [a, b] = [users[1]!, users[2]!];
      await store.messages.append([1, 2, 3, 4, 5].map((i) => msg(group.id, owner.id, i)));
      // Two routes of one member in one batch: the second sees the cursor the first wrote.
      await store.delivery.route([
        smsRoute(group.id, a, 0, 2),
        smsRoute(group.id, a, 2, 4),
        smsRoute(group.id, b, 0, 5),
      ]);
      assert.equal((await store.groups.member(group.id, a.id))!.routedSeq, 4);
      assert.equal(await store.outbound.depth(), 9);
      const ack = (user: { id: number }, seq: number) => ({ groupId: group.id, userId: user.id, seq });
      assert.equal(await store.delivery.ack([ack(a, 1), ack(b, 2), ack(a, 3), ack(a, 2)], T0 + 1), 5);
      const [ma, mb] = [
        (await store.groups.member(group.id, a.id))!,
        (await store.groups.member(group.id, b.id))!,
      ];
      assert.deepEqual([ma.ackedSeq, ma.routedSeq, mb.ackedSeq, mb.routedSeq], [3, 4, 2, 5]);
      assert.deepEqual(
        (await textStates(store, group.id, [1, 2, 3, 4, 5])).map((l) => l.sort()),
        [
          ['cancelled', 'cancelled'],
          ['cancelled', 'cancelled'],
          ['cancelled', 'queued'],
          ['queued', 'queued'],
          ['queued'],
        ],
      );
      assert.equal(await store.delivery.ack([], T0 + 2), 0);
      // What is left undecided, by member then group: a's range (4, 5], nothing of b's.
      assert.deepEqual(await store.delivery.unrouted(), [
        { groupId: group.id, userId: a.id, fromSeq: 4, toSeq: 5 },
      ]);
      assert.equal(await store.delivery.ack([ack(a, 2)], T0 + 2), 0, 'an older ack changes nothing');
      assert.equal((await store.groups.member(group.id, a.id))!.ackedSeq, 3);
    });
  });

  test('a route marked afterEarlier waits for the range before it: handed back, nothing written', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 2);
      const a = users[1]!;
      await store.messages.append([1, 2].map((i) => msg(group.id, owner.id, i)));
      const second = { ...smsRoute(group.id, a, 1, 2), afterEarlier: true };
      assert.deepEqual(await store.delivery.route([second]), [second], 'seq 1 is undecided: held');
      assert.equal(await store.outbound.depth(), 0, 'no text queued for it');
      assert.equal((await store.groups.member(group.id, a.id))!.routedSeq, 0);
      // Both in one batch, in order: the first decides seq 1, so the second goes too.
      assert.deepEqual(await store.delivery.route([smsRoute(group.id, a, 0, 1), second]), []);
      assert.equal((await store.groups.member(group.id, a.id))!.routedSeq, 2);
      assert.equal(await store.outbound.depth(), 2);
    });
  });

  test('unrouted ranges older than a time: only those whose first message is older, oldest first', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 3);
      const [a, b] = [users[1]!, users[2]!];
      const at = (i: number, createdAt: number) => ({ ...msg(group.id, owner.id, i), createdAt });
      await store.messages.append([at(1, T0), at(2, T0 + 100), at(3, T0 + 200)]);
      // a acked 1 (its range starts at message 2, T0+100); b nothing (message 1, T0).
      await store.delivery.ack([{ groupId: group.id, userId: a.id, seq: 1 }], T0 + 300);
      const ids = (r: { userId: number; fromSeq: number; toSeq: number }[]) =>
        r.map((x) => [x.userId, x.fromSeq, x.toSeq]);
      assert.deepEqual(ids(await store.delivery.unrouted({ firstBefore: T0 + 50, limit: 10 })), [
        [b.id, 0, 3],
      ]);
      assert.deepEqual(ids(await store.delivery.unrouted({ firstBefore: T0 + 150, limit: 10 })), [
        [b.id, 0, 3],
        [a.id, 1, 3],
      ]);
      assert.deepEqual(ids(await store.delivery.unrouted({ firstBefore: T0 + 150, limit: 1 })), [
        [b.id, 0, 3],
      ]);
      assert.deepEqual(await store.delivery.unrouted({ firstBefore: T0, limit: 10 }), []);
    });
  });

  test('read marks only move forward', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 3);
      await store.messages.append([1, 2, 3].map((i) => msg(group.id, owner.id, i)));
      await store.delivery.markRead(users[1]!.id, group.id, 2);
      assert.equal((await store.groups.member(group.id, users[1]!.id))!.readSeq, 2);
      await store.delivery.markRead(users[1]!.id, group.id, 1);
      assert.equal((await store.groups.member(group.id, users[1]!.id))!.readSeq, 2);
      assert.equal((await store.groups.member(group.id, users[2]!.id))!.readSeq, 0, 'only that member');
    });
  });

  test("a sender's own messages count as read while they had read everything before them", async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 3);
      const [a, b] = [users[1]!, users[2]!];
      const readSeq = async (u: { id: number }) => (await store.groups.member(group.id, u.id))!.readSeq;
      // One append at a time and one batch alike: the read cursor follows the sender's run of messages.
      await store.messages.append([msg(group.id, owner.id, 1)]);
      await store.messages.append([2, 3].map((i) => msg(group.id, owner.id, i)));
      assert.equal(await readSeq(owner), 3);
      assert.equal(await readSeq(a), 0, 'not the others');
      // Someone else's message the sender has not read stays unread, and so do the sender's after it.
      await store.messages.append([msg(group.id, a.id, 4)]);
      assert.equal(await readSeq(a), 0, 'a gap before it: not read');
      await store.messages.append([msg(group.id, owner.id, 5)]);
      assert.equal(await readSeq(owner), 3);
      await store.delivery.markRead(owner.id, group.id, 5);
      // A batch mixing senders: only each sender's run that starts where they had read up to.
      await store.messages.append([
        msg(group.id, owner.id, 6),
        msg(group.id, b.id, 7, 'c7'),
        msg(group.id, owner.id, 8),
      ]);
      assert.equal(await readSeq(owner), 6);
      assert.equal(await readSeq(b), 0);
      // A retried client id is not a new message: nothing moves.
      await store.delivery.markRead(b.id, group.id, 8);
      const [again] = await store.messages.append([msg(group.id, b.id, 7, 'c7')]);
      assert.equal(again!.duplicate, true);
      assert.equal(await readSeq(b), 8);
    });
  });

  test('an inbox pull takes over queued texts, leaves texts already handed over, and keeps them', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 2);
      const member = users[1]!;
      await store.messages.append([1, 2, 3, 4].map((i) => msg(group.id, owner.id, i)));
      await store.delivery.route([smsRoute(group.id, member, 0, 3)]);
      const [claimed] = await store.outbound.claim(1, T0);
      assert.equal(claimed!.seq, 1);
      assert.deepEqual([...(await store.outbound.textedSeqs(group.id, member.id, 0))], [1]);
      assert.deepEqual([...(await store.outbound.textedSeqs(group.id, member.id, 1))], []);
      const handed = await store.delivery.showInInbox(member.id, group.id, [3, 1, 2, 3], T0 + 5, T0 + 500);
      assert.deepEqual(handed, [3, 2], 'seq 1 already left; each seq once');
      assert.deepEqual(await textStates(store, group.id, [1, 2, 3]), [
        ['submitting'],
        ['cancelled'],
        ['cancelled'],
      ]);
      assert.equal(
        (await store.outbound.forMessage(group.id, 2))[0]!.error,
        'shown in the inbox before it left',
      );
      assert.deepEqual(
        (await store.delivery.trailFor(group.id, 3)).map((t) => [
          t.rung,
          t.outcome,
          t.seqFrom,
          t.seqTo,
          t.at,
        ]),
        [
          ['sms', 'sms_queued', 0, 3, T0],
          ['inbox', 'shown', 1, 3, T0 + 5],
          ['inbox', 'waiting', 1, 3, T0 + 5],
        ],
      );
      const [due] = await store.delivery.claimReminders(T0 + 500, 10);
      assert.deepEqual(
        due && [due.userId, due.fromSeq, due.toSeq, due.unread],
        [member.id, 0, 3, 3],
        'the inbox range and its reminder',
      );
      assert.deepEqual(await store.delivery.showInInbox(member.id, group.id, [1, 2], T0 + 6, T0 + 600), []);
      assert.deepEqual(await store.delivery.showInInbox(member.id, group.id, [], T0 + 6, T0 + 600), []);
      // Routed again (a late decision): what the inbox showed is not texted; an escalation texts it.
      await store.delivery.route([
        smsRoute(group.id, member, 3, 4, {
          sms: [2, 4].map((s) => text(group.id, member.id, member.phone, s)),
        }),
      ]);
      assert.deepEqual(await textStates(store, group.id, [2, 4]), [['cancelled'], ['queued']]);
      await store.delivery.route([
        smsRoute(group.id, member, 0, 3, {
          escalation: true,
          sms: [text(group.id, member.id, member.phone, 2)],
        }),
      ]);
      assert.deepEqual(await textStates(store, group.id, [2]), [['cancelled', 'queued']]);
    });
  });

  test('reminders fall due once, in due order, leased to their claimer, and schedule their escalation', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 3);
      const [a, b] = [users[1]!, users[2]!];
      await store.messages.append([
        msg(group.id, owner.id, 1),
        msg(group.id, a.id, 2),
        msg(group.id, owner.id, 3),
      ]);
      const inbox = { rung: 'inbox' as const, sms: [], reminderDueAt: T0 + 100 };
      await store.delivery.route([smsRoute(group.id, b, 0, 3, inbox), smsRoute(group.id, a, 0, 3, inbox)]);
      assert.deepEqual(await store.delivery.claimReminders(T0 + 99, 10), []);
      await store.groups.setPolicy(group.id, { escalateToSms: true });
      const first = await store.delivery.claimReminders(T0 + 100, 1);
      assert.equal(first.length, 1, 'the limit holds');
      const rest = await store.delivery.claimReminders(T0 + 100, 10);
      // What a pass needs comes with the claim: the member, the group's addresses, nothing to look up.
      const extra = async (userId: number) => ({
        user: await store.users.byId(userId),
        appNumber: '01',
        groupNumber: group.groupNumber,
        pushSubscriptions: 0,
        quietHours: false,
      });
      assert.deepEqual(
        [...first, ...rest],
        [
          {
            groupId: group.id,
            userId: a.id,
            fromSeq: 0,
            toSeq: 3,
            unread: 2,
            groupName: 'Test',
            escalate: true,
            ...(await extra(a.id)),
          },
          {
            groupId: group.id,
            userId: b.id,
            fromSeq: 0,
            toSeq: 3,
            unread: 3,
            groupName: 'Test',
            escalate: true,
            ...(await extra(b.id)),
          },
        ],
        'in due order, the second claim taking what the first left',
      );
      assert.deepEqual(
        await store.delivery.claimReminders(T0 + 100 + LEASE - 1, 10),
        [],
        'a claimed reminder is not claimed again while its lease lasts',
      );
      const trail = {
        groupId: group.id,
        userId: a.id,
        seqFrom: 0,
        seqTo: 3,
        rung: 'reminder' as const,
        outcome: 'push_sent',
        reason: 'r',
        at: T0 + 100,
      };
      const depth = await store.outbound.depth();
      const text = {
        kind: 'reminder' as const,
        toPhone: a.phone,
        fromAddr: '10658',
        text: 'reminder',
        groupId: group.id,
        seq: null,
        userId: a.id,
      };
      await store.delivery.reminded([{ groupId: group.id, userId: a.id, trail, escalateAt: T0 + 200, text }]);
      assert.equal(await store.outbound.depth(), depth + 1, 'the reminder text queued with its bookkeeping');
      await store.delivery.reminded([]);
      // b's claimer never said it reminded b: once its lease expired, b is due again (taken over).
      const expired = T0 + 100 + LEASE;
      assert.deepEqual(
        (await store.delivery.claimReminders(expired, 10)).map((d) => d.userId),
        [b.id],
      );
      assert.deepEqual(
        (await store.delivery.trailFor(group.id, 2)).map((t) => [t.userId, t.rung, t.outcome]),
        [
          [b.id, 'inbox', 'waiting'],
          [a.id, 'inbox', 'waiting'],
          [a.id, 'reminder', 'push_sent'],
        ],
      );
      assert.deepEqual(await store.delivery.claimEscalations(T0 + 199, 10), []);
      assert.deepEqual(await store.delivery.claimEscalations(T0 + 200, 10), [
        { groupId: group.id, userId: a.id, fromSeq: 0, toSeq: 3 },
      ]);
      assert.deepEqual(await store.delivery.claimEscalations(T0 + 201, 10), [], 'leased to its claimer');
      // A second reminder does not move an escalation already scheduled (and it ends the lease).
      await store.delivery.reminded([{ groupId: group.id, userId: a.id, trail, escalateAt: T0 + 900 }]);
      assert.equal((await store.delivery.claimEscalations(T0 + 200, 10)).length, 1);
      await store.delivery.clearEscalation(group.id, a.id);
      assert.deepEqual(await store.delivery.claimEscalations(T0 + 10_000 + LEASE, 10), []);
      // A fetch covering the inbox drops the reminder; one short of it keeps it.
      await store.delivery.fetched(b.id, [{ groupId: group.id, seq: 2 }], T0 + 1);
      const later = expired + LEASE;
      assert.deepEqual(
        (await store.delivery.claimReminders(later, 10)).map((d) => [d.userId, d.fromSeq, d.unread]),
        [[b.id, 2, 1]],
      );
      await store.delivery.fetched(b.id, [{ groupId: group.id, seq: 3 }], T0 + 2);
      assert.deepEqual(await store.delivery.claimReminders(later + LEASE, 10), []);
    });
  });

  test('a claimed reminder counts what the inbox shows and says whether there is a push or a quiet window to look at', async () => {
    await withStore(factory, async (store) => {
      const { group, owner, users } = await groupWithMembers(store, 4);
      const [a, b, c] = [users[1]!, users[2]!, users[3]!];
      // a wrote seqs 2 and 4; b's range starts after a fetch; c has two subscriptions and quiet hours.
      await store.messages.append(
        [1, 2, 3, 4, 5].map((i) => msg(group.id, [2, 4].includes(i) ? a.id : owner.id, i)),
      );
      const inbox = { rung: 'inbox' as const, sms: [], reminderDueAt: T0 + 100 };
      await store.delivery.route([a, b, c].map((u) => smsRoute(group.id, u, 0, 5, inbox)));
      await store.delivery.fetched(b.id, [{ groupId: group.id, seq: 3 }], T0 + 1);
      await store.push.add(c.id, 'https://push.example/c1', 'k1', 'a1', T0);
      await store.push.add(c.id, 'https://push.example/c2', 'k2', 'a2', T0);
      const quiet = {
        smsMode: 'normal' as const,
        muted: false,
        digest: false,
        quiet: { start: 22, end: 7 },
        timeZone: null,
      };
      await store.policy.setPrefs(group.id, c.id, quiet, T0);
      // b keeps preferences without quiet hours: no window to work out.
      await store.policy.setPrefs(group.id, b.id, { ...quiet, quiet: null }, T0);
      const due = await store.delivery.claimReminders(T0 + 100, 10);
      assert.deepEqual(
        due
          .map((d) => [
            d.userId,
            d.fromSeq,
            d.toSeq,
            d.unread,
            d.pushSubscriptions,
            d.quietHours,
            d.user.phone,
          ])
          .sort((x, y) => Number(x[0]) - Number(y[0])),
        [
          [a.id, 0, 5, 3, 0, false, a.phone],
          [b.id, 3, 5, 2, 0, false, b.phone],
          [c.id, 0, 5, 5, 2, true, c.phone],
        ],
        'only others’ messages in (fetched, inbox] count: a 5 − its own 2, b seqs 4 and 5',
      );
    });
  });

  test('the trail keeps what was added, per message, in order', async () => {
    await withStore(factory, async (store) => {
      const { group, users } = await groupWithMembers(store, 2);
      const e = (seqFrom: number, seqTo: number, outcome: string) => ({
        groupId: group.id,
        userId: users[1]!.id,
        seqFrom,
        seqTo,
        rung: 'live' as const,
        outcome,
        reason: `why ${outcome}`,
        at: T0 + seqTo,
      });
      await store.delivery.addTrail([e(0, 2, 'sent'), e(2, 3, 'acked'), e(1, 2, 'acked')]);
      await store.delivery.addTrail([]);
      assert.deepEqual(await store.delivery.trailFor(group.id, 2), [e(0, 2, 'sent'), e(1, 2, 'acked')]);
      assert.deepEqual(await store.delivery.trailFor(group.id, 3), [e(2, 3, 'acked')]);
      assert.deepEqual(await store.delivery.trailFor(group.id + 1, 2), []);
    });
  });
}
