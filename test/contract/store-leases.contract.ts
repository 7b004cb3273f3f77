// The Store contract, several nodes sharing scheduled work: due reminders and escalations, texts in flight
// and named leases are claimed by one node at a time, and a "dead" claimer's work is taken over once its
// lease expired. Stores for other nodes come from factory.openNode (a second pool on PostgreSQL: two nodes;
// a second connection to the file on SQLite). Times are injected: no lease is waited for. Called inside
// storeContract's describe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DueReminder, NewOutbound, Store } from '../../src/store/store.ts';
import {
  groupWithMembers,
  LEASE,
  msg,
  type StoreFactory,
  sentReminder,
  smsRoute,
  T0,
  withStore,
} from './store-fixtures.ts';

/** Runs the body with the factory's store (node "qun") and stores for the other node ids given. */
async function withNodes(
  factory: StoreFactory,
  others: string[],
  body: (a: Store, ...rest: Store[]) => Promise<void>,
): Promise<void> {
  const a = await factory.open();
  const rest: Store[] = [];
  try {
    for (const id of others) rest.push(await factory.openNode(a, id));
    await body(a, ...rest);
  } finally {
    for (const s of rest) await s.close();
    await a.close();
  }
}

const disjoint = <T>(sets: T[][]) => {
  const all = sets.flat();
  assert.equal(new Set(all).size, all.length, `no item claimed twice: ${JSON.stringify(sets)}`);
  return all;
};

/** `n` members with an inbox range each whose reminder is due at T0 + 100 (escalation on). */
async function dueMembers(store: Store, n: number) {
  const { group, owner, users } = await groupWithMembers(store, n + 1);
  await store.groups.setPolicy(group.id, { escalateToSms: true });
  await store.messages.append([msg(group.id, owner.id, 1)]);
  const members = users.slice(1);
  await store.delivery.route(
    members.map((u) => smsRoute(group.id, u, 0, 1, { rung: 'inbox', sms: [], reminderDueAt: T0 + 100 })),
  );
  return { group, members };
}

export function leasesContract(factory: StoreFactory): void {
  test('reminders and escalations claimed by three nodes at once: disjoint, all of them, a dead claimer taken over', async () => {
    await withNodes(factory, ['node-b', 'node-c'], async (a, b, c) => {
      const { group, members } = await dueMembers(a!, 40);
      const nodes = [a!, b!, c!];
      // Every node scans at the same moment, in chunks, as ReminderJob does.
      const claims = await Promise.all(
        [...nodes, ...nodes, ...nodes].map((s) => s.delivery.claimReminders(T0 + 100, 6)),
      );
      const first = disjoint(claims.map((l) => l.map((r) => r.userId)));
      const more = await Promise.all(nodes.map((s) => s.delivery.claimReminders(T0 + 100, 40)));
      const all = disjoint([first, ...more.map((l) => l.map((r) => r.userId))]);
      assert.deepEqual(
        all.sort((x, y) => x - y),
        members.map((u) => u.id).sort((x, y) => x - y),
        'each due member claimed exactly once',
      );
      // Node c "dies": its claims are never recorded. The others record theirs, escalation due at T0 + 200.
      const byC = new Set([claims[2]!, claims[5]!, claims[8]!, more[2]!].flat().map((r) => r.userId));
      const done = all.filter((id) => !byC.has(id));
      const trail = (userId: number) => ({
        groupId: group.id,
        userId,
        seqFrom: 0,
        seqTo: 1,
        rung: 'reminder' as const,
        outcome: 'reminded',
        reason: 'test',
        at: T0 + 100,
      });
      await a!.delivery.reminded(
        done.map((userId) => ({ groupId: group.id, userId, trail: trail(userId), escalateAt: T0 + 200 })),
      );
      assert.deepEqual(
        await b!.delivery.claimReminders(T0 + 100 + LEASE - 1, 100),
        [],
        'a lease not yet expired is left to its node',
      );
      const takenOver = await Promise.all(
        [a!, b!].map((s) => s.delivery.claimReminders(T0 + 100 + LEASE, 100)),
      );
      assert.deepEqual(
        disjoint(takenOver.map((l) => l.map((r) => r.userId))).sort((x, y) => x - y),
        [...byC].sort((x, y) => x - y),
        'the dead node’s reminders, each taken over once',
      );
      const esc = await Promise.all(
        [...nodes, ...nodes].map((s) => s.delivery.claimEscalations(T0 + 200, 5)),
      );
      // Six chunks of five may leave some (up to 40 are due): the rest in a second round, at once too.
      const rest = await Promise.all(nodes.map((s) => s.delivery.claimEscalations(T0 + 200, 100)));
      const escalated = disjoint([...esc, ...rest].map((l) => l.map((e) => e.userId)));
      assert.equal(escalated.length, done.length, 'each scheduled escalation claimed once');
      for (const id of escalated) await b!.delivery.clearEscalation(group.id, id);
      assert.deepEqual(await c!.delivery.claimEscalations(T0 + 200 + 2 * LEASE, 100), []);
    });
  });

  test('texts in flight: a restart recovers its own and expired ones, never a live node’s; a dead node’s are taken over', async () => {
    await withNodes(factory, ['node-b', 'node-d'], async (a, b, d) => {
      const u = await a!.users.upsertByPhone('+8613700000009', T0);
      const texts = Array.from(
        { length: 12 },
        (_, i): NewOutbound => ({
          kind: 'reply',
          // Twelve numbers: one number's texts go from one node at a time (the next case).
          toPhone: `+86137000001${String(i).padStart(2, '0')}`,
          fromAddr: '10658',
          text: `r${i}`,
          groupId: null,
          seq: null,
          userId: u.id,
        }),
      );
      await a!.outbound.enqueue(texts, T0);
      const ids = (l: { id: number }[]) => l.map((o) => o.id).sort((x, y) => x - y);
      const [mine, theirs, dead] = await Promise.all([a!, b!, d!].map((s) => s.outbound.claim(4, T0)));
      disjoint([ids(mine!), ids(theirs!), ids(dead!)]);
      assert.deepEqual(
        [mine!, theirs!, dead!].map((l) => [...new Set(l.map((o) => o.claimedBy))]),
        [['qun'], ['node-b'], ['node-d']],
      );
      assert.equal((await a!.outbound.get(theirs![0]!.id))!.claimedBy, 'node-b');
      // Node a restarts: its own texts are in doubt; node b's and node d's leases still run.
      assert.deepEqual(ids(await a!.outbound.takeOverInDoubt(T0 + 10, true)), ids(mine!));
      assert.deepEqual(await a!.outbound.takeOverInDoubt(T0 + 10, false), [], 'own texts only at start-up');
      // b is alive and renews; d is dead. At d's expiry only d's texts are taken, once, by two takers at once.
      assert.equal(await b!.outbound.renewLeases(T0 + LEASE / 2), 4);
      assert.equal(await d!.outbound.renewLeases(T0 + 1), 4);
      assert.deepEqual(await b!.outbound.takeOverInDoubt(T0 + LEASE, false), [], 'not before the lease ends');
      const taken = await Promise.all([a!, b!].map((s) => s.outbound.takeOverInDoubt(T0 + 1 + LEASE, false)));
      assert.deepEqual(
        disjoint([ids(taken[0]!), ids(taken[1]!)]).sort((x, y) => x - y),
        ids(dead!),
      );
      const [one] = dead!;
      const taker = taken[0]!.some((o) => o.id === one!.id) ? a! : b!;
      assert.equal((await taker.outbound.get(one!.id))!.claimedBy, taker === a ? 'qun' : 'node-b');
      // The dead node was only slow: its late recheck finds the text taken over and must not send it.
      assert.equal(await d!.outbound.recheck(one!.id, T0 + 2 + LEASE), 'no longer pending');
      assert.equal((await a!.outbound.get(one!.id))!.state, 'submitting', 'the fence cancels nothing');
      // The taker's recheck passes and extends its lease over the submit: nobody takes it meanwhile.
      const late = T0 + 1 + 2 * LEASE;
      assert.equal(await taker.outbound.recheck(one!.id, late), undefined);
      assert.ok(!ids(await d!.outbound.takeOverInDoubt(late + LEASE - 1, false)).includes(one!.id));
      assert.equal(
        (await a!.outbound.inDoubt()).length,
        12,
        'the dashboard still counts every text in flight',
      );
    });
  });

  test('a recheck extends a lease only once a third of it is gone; a fresh one outlasts the submit unwritten', async () => {
    await withNodes(factory, ['node-b'], async (a, b) => {
      const u = await a!.users.upsertByPhone('+8613700000019', T0);
      await a!.outbound.enqueue(
        ['+8613700000201', '+8613700000202'].map(
          (toPhone, i): NewOutbound => ({
            kind: 'reply',
            toPhone,
            fromAddr: '10658',
            text: `x${i}`,
            groupId: null,
            seq: null,
            userId: u.id,
          }),
        ),
        T0,
      );
      const [fresh, old] = await a!.outbound.claim(2, T0);
      // A moment after the claim: passes, and the lease stays as the claim wrote it (no commit).
      assert.equal(await a!.outbound.recheck(fresh!.id, T0 + LEASE / 4), undefined);
      // Half-way through: passes and is extended, so the submit cannot outlive it.
      assert.equal(await a!.outbound.recheck(old!.id, T0 + LEASE / 2), undefined);
      const taken = await b!.outbound.takeOverInDoubt(T0 + LEASE + 1, false);
      assert.deepEqual(
        taken.map((o) => o.id),
        [fresh!.id],
        'only the text whose lease was left to run out is taken over',
      );
    });
  });

  test('one number’s texts leave from one node at a time, in queue order; other numbers go meanwhile', async () => {
    await withNodes(factory, ['node-b'], async (a, b) => {
      const text = (to: string, i: number): NewOutbound => ({
        kind: 'reply',
        toPhone: to,
        fromAddr: '10658',
        text: `t${i}`,
        groupId: null,
        seq: null,
        userId: null,
      });
      const claimed = async (s: Store, now: number, limit = 10) =>
        (await s.outbound.claim(limit, now)).map((o) => o.id);
      const sent = (s: Store, id: number, now: number) =>
        s.outbound.markSubmitted(id, { gatewayRef: `ref-${id}`, encoding: 'gsm7', segments: 1 }, now);
      const [p, q, r] = ['+8613700000201', '+8613700000202', '+8613700000203'];
      const [p1, p2, q1, p3] = await a!.outbound.enqueue(
        [text(p, 1), text(p, 2), text(q, 1), text(p, 3)],
        T0,
      );
      assert.deepEqual(await claimed(a!, T0, 1), [p1]);
      // p's first text is in flight on a: b takes q's, not p's next (it would overtake it).
      assert.deepEqual(await claimed(b!, T0), [q1]);
      // Nor does a: what it has in flight may be a text it took over and is still reconciling.
      assert.deepEqual(await claimed(a!, T0), [], 'p1 in flight: p2 waits');
      await sent(a!, p1!, T0 + 1);
      await sent(b!, q1!, T0 + 1);
      // One claim takes a number's texts in order, and its node sends them one after another.
      assert.deepEqual(await claimed(b!, T0 + 2, 1), [p2]);
      // A text in back-off (throttled, retried later) keeps its place: the next one does not overtake it.
      await b!.outbound.requeue(p2!, 'throttled', T0 + 100, T0 + 3);
      assert.deepEqual(await claimed(a!, T0 + 4), [], 'p3 waits for p2’s retry');
      assert.deepEqual(await claimed(a!, T0 + 100), [p2, p3], 'then both, in order');
      await sent(a!, p2!, T0 + 101);
      await sent(a!, p3!, T0 + 101);

      // A dead node's text taken over: the texts behind it wait until it is reconciled.
      const [r1] = await b!.outbound.enqueue([text(r, 1)], T0 + 200);
      assert.deepEqual(await claimed(b!, T0 + 200), [r1]);
      const [r2] = await a!.outbound.enqueue([text(r, 2)], T0 + 201);
      const taken = await a!.outbound.takeOverInDoubt(T0 + 201 + LEASE, false);
      assert.deepEqual(
        taken.map((o) => o.id),
        [r1],
      );
      assert.deepEqual(await claimed(a!, T0 + 202 + LEASE), [], 'r1 is being reconciled: r2 waits');
      await a!.outbound.requeue(
        r1!,
        'reconciled after restart: not_sent',
        T0 + 203 + LEASE,
        T0 + 203 + LEASE,
      );
      assert.deepEqual(await claimed(b!, T0 + 204 + LEASE), [r1, r2], 'once nothing is in the way, any node');
    });
  });

  test('a named lease is held by one node at a time, extended by its holder, taken over when it expires', async () => {
    await withNodes(factory, ['node-b'], async (a, b) => {
      const holds = await Promise.all([a!, b!, a!, b!].map((s) => s.leases.hold('retention', T0, T0 + 100)));
      const winner = holds[0] ? a! : b!;
      const loser = winner === a ? b! : a!;
      assert.deepEqual(holds, winner === a ? [true, false, true, false] : [false, true, false, true]);
      assert.equal(await loser.leases.hold('retention', T0 + 99, T0 + 199), false);
      assert.equal(await winner.leases.hold('retention', T0 + 50, T0 + 150), true, 'the holder extends it');
      assert.equal(await loser.leases.hold('retention', T0 + 149, T0 + 249), false);
      await loser.leases.release('retention');
      assert.equal(
        await loser.leases.hold('retention', T0 + 149, T0 + 249),
        false,
        'only its holder frees it',
      );
      assert.equal(await loser.leases.hold('retention', T0 + 150, T0 + 250), true, 'taken over on expiry');
      assert.equal(await winner.leases.hold('retention', T0 + 151, T0 + 251), false);
      assert.equal(await winner.leases.hold('other-job', T0 + 151, T0 + 251), true, 'leases are per name');
      await loser.leases.release('retention');
      assert.equal(await winner.leases.hold('retention', T0 + 152, T0 + 252), true, 'released: free at once');
    });
  });

  test('remindDue records the reminders settled at once in the claim, leases the others, and two nodes at once share them', async () => {
    await withNodes(factory, ['node-b'], async (a, b) => {
      const { group, members } = await dueMembers(a!, 6);
      // The first member has a push subscription: that reminder needs a round trip.
      await a!.push.add(members[0]!.id, 'https://push.example/0', 'k', 'a', T0);
      const trail = (userId: number, seqTo: number) => ({
        groupId: group.id,
        userId,
        seqFrom: 0,
        seqTo,
        rung: 'reminder' as const,
        outcome: 'reminded',
        reason: 'test',
        at: T0 + 100,
      });
      const settle = (r: DueReminder) =>
        r.pushSubscriptions > 0
          ? undefined
          : {
              groupId: r.groupId,
              userId: r.userId,
              trail: trail(r.userId, r.toSeq),
              escalateAt: T0 + 200,
              ...(r.userId === members[1]!.id
                ? {
                    text: {
                      kind: 'reminder' as const,
                      toPhone: r.user.phone,
                      fromAddr: '10658',
                      text: `${r.unread} unread`,
                      groupId: r.groupId,
                      seq: null,
                      userId: r.userId,
                    },
                  }
                : {}),
            };
      // A settle that throws leaves nothing behind: nothing recorded, nothing leased.
      await assert.rejects(
        a!.delivery.remindDue(T0 + 100, 10, () => {
          throw new Error('boom');
        }),
        /boom/,
      );
      const depth = await a!.outbound.depth();
      const steps = await Promise.all([a!, b!, a!, b!].map((s) => s.delivery.remindDue(T0 + 100, 2, settle)));
      const ids = (l: { userId: number }[]) => l.map((r) => r.userId);
      const all = disjoint(steps.map((x) => [...ids(x.settled), ...ids(x.leased)]));
      const rest = await b!.delivery.remindDue(T0 + 100, 10, settle);
      disjoint([all, [...ids(rest.settled), ...ids(rest.leased)]]);
      const leased = [...steps, rest].flatMap((x) => ids(x.leased));
      assert.deepEqual(leased, [members[0]!.id], 'only the member with a subscription is left leased');
      assert.equal(
        all.length + rest.settled.length + rest.leased.length,
        members.length,
        'every due member taken once',
      );
      assert.equal(
        await a!.outbound.depth(),
        depth + 1,
        'the settled reminder’s text queued with its trail row',
      );
      assert.deepEqual(
        (await a!.delivery.trailFor(group.id, 1))
          .filter((t) => t.rung === 'reminder')
          .map((t) => t.userId)
          .sort((x, y) => x - y),
        members
          .slice(1)
          .map((u) => u.id)
          .sort((x, y) => x - y),
      );
      assert.deepEqual(await b!.delivery.claimReminders(T0 + 100 + LEASE - 1, 10), [], 'recorded or leased');
      assert.deepEqual(
        ids(await b!.delivery.claimReminders(T0 + 100 + LEASE, 10)),
        [members[0]!.id],
        'the leased one is taken over once its lease ends; the settled ones are done',
      );
      assert.equal((await a!.delivery.claimEscalations(T0 + 200, 10)).length, members.length - 1);
    });
  });

  // A sent reminder is not written back by later writes that carry the membership's reminder along (a role
  // change, a route into the inbox, a postpone), and a new inbox range earns a reminder of its own.
  test('a reminder sent stays sent through later writes of the membership, and a new inbox range earns a new one', async () => {
    await withStore(factory, async (store) => {
      const { group, members } = await dueMembers(store, 3);
      const [a, b, c] = [members[0]!, members[1]!, members[2]!];
      const sent = await store.delivery.remindDue(T0 + 100, 10, (r) => sentReminder(r, T0 + 100));
      assert.equal(sent.settled.length, 3);
      const version = await store.groups.version(group.id);
      assert.ok(
        await store.groups.applyMembership(
          group.id,
          version,
          [{ userId: a.id, state: 'active', role: 'admin' }],
          T0 + 101,
        ),
      );
      await store.policy.postponeReminder(group.id, c.id, T0 + 300);
      await store.messages.append([msg(group.id, a.id, 2)]);
      await store.delivery.route([
        smsRoute(group.id, b, 1, 2, { rung: 'inbox', sms: [], reminderDueAt: T0 + 500 }),
      ]);
      const later = T0 + 100 + 2 * LEASE;
      assert.deepEqual(
        await store.delivery.claimReminders(T0 + 499, 10),
        [],
        'none of the three is due again',
      );
      assert.deepEqual(
        (await store.delivery.claimReminders(later, 10)).map((r) => [r.userId, r.fromSeq, r.toSeq, r.unread]),
        [[b.id, 0, 2, 2]],
        'b: one reminder for the new range, at its own time',
      );
    });
  });

  test('a reminder’s lease holds through a write of the same due time, and keeps the escalation claim off the member', async () => {
    await withStore(factory, async (store) => {
      const { group, members } = await dueMembers(store, 2);
      const [a, b] = [members[0]!, members[1]!];
      const trail = {
        groupId: group.id,
        userId: a.id,
        seqFrom: 0,
        seqTo: 1,
        rung: 'reminder' as const,
        outcome: 'push_sent',
        reason: 'test',
        at: T0 + 100,
      };
      assert.equal((await store.delivery.claimReminders(T0 + 100, 10)).length, 2);
      await store.delivery.reminded([
        { groupId: group.id, userId: a.id, trail, escalateAt: T0 + 200 },
        { groupId: group.id, userId: b.id, trail: { ...trail, userId: b.id }, escalateAt: null },
      ]);
      // A new range for the inbox: its own reminder at T0 + 300, while the escalation is due from T0 + 200.
      await store.messages.append([msg(group.id, b.id, 2)]);
      await store.delivery.route([
        smsRoute(group.id, a, 1, 2, { rung: 'inbox', sms: [], reminderDueAt: T0 + 300 }),
      ]);
      assert.deepEqual(
        (await store.delivery.claimReminders(T0 + 300, 10)).map((r) => [r.userId, r.toSeq]),
        [[a.id, 2]],
      );
      // Seq 3 is queued as a text, then an inbox pull shows it and takes the text over: the membership's
      // inbox grows and is written with the reminder time it had.
      await store.messages.append([msg(group.id, b.id, 3)]);
      await store.delivery.route([smsRoute(group.id, a, 2, 3)]);
      assert.deepEqual(await store.delivery.showInInbox(a.id, group.id, [3], T0 + 301, T0 + 999), [3]);
      assert.deepEqual(await store.delivery.claimReminders(T0 + 302, 10), [], 'still leased');
      assert.deepEqual(await store.delivery.claimEscalations(T0 + 302, 10), [], 'the member is leased');
      assert.deepEqual(
        (await store.delivery.claimEscalations(T0 + 300 + LEASE, 10)).map((e) => e.userId),
        [a.id],
        'once the reminder’s lease ends',
      );
    });
  });
}
