// A populated store for the operator tools' tests: a group of four members, one on each rung, with
// messages, routes, texts, a session, a sign-in code and a push subscription.
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.ts';

export const DAY = 86_400_000;
export const T0 = 1_800_000_000_000;

export /** A group of four: an owner who sends, a live member, an inbox member, an SMS member. */
async function populate(store: Store) {
  const phones = ['+8613800000001', '+8613800000002', '+8613800000003', '+8613800000004'];
  const [owner, live, inbox, sms] = await Promise.all(phones.map((p) => store.users.upsertByPhone(p, T0)));
  const group = await store.groups.create(
    { appNumber: '01', name: 'Club', invitePolicy: 'direct', memberCap: 50, ownerId: owner!.id },
    (a) => String(1000 + a),
    T0,
  );
  assert.ok(
    await store.groups.applyMembership(
      group.id,
      0,
      [live!, inbox!, sms!].map((u) => ({ userId: u.id, state: 'active' as const, role: 'member' as const })),
      T0,
    ),
  );
  const batch = Array.from({ length: 10 }, (_, i) => ({
    groupId: group.id,
    id: `m-${i + 1}`,
    senderId: i % 2 === 0 ? owner!.id : inbox!.id,
    body: `message ${i + 1}`,
    source: 'http' as const,
    clientMsgId: `c${i + 1}`,
    audience: 'all' as const,
    createdAt: T0 + i,
  }));
  await store.messages.append(batch);
  await store.delivery.ack(
    [
      { groupId: group.id, userId: live!.id, seq: 10 },
      { groupId: group.id, userId: owner!.id, seq: 10 },
    ],
    T0 + 20,
  );
  const route = (userId: number, from: number, to: number, rung: 'inbox' | 'sms') => ({
    groupId: group.id,
    userId,
    seqFrom: from,
    seqTo: to,
    rung,
    reason: 'test',
    at: T0 + 30,
    reminderDueAt: rung === 'inbox' ? T0 + 600_000 : null,
    sms: [],
  });
  // The inbox member has fetched up to 4 and has 5…10 waiting; the SMS member was texted everything.
  await store.delivery.route([route(inbox!.id, 0, 10, 'inbox'), route(sms!.id, 0, 10, 'sms')]);
  await store.delivery.fetched(inbox!.id, [{ groupId: group.id, seq: 4 }], T0 + 40);
  const [texted] = await store.outbound.enqueue(
    [
      {
        kind: 'group_message',
        toPhone: sms!.phone,
        fromAddr: '1065801',
        text: 'message 1',
        groupId: group.id,
        seq: 1,
        userId: sms!.id,
      },
      {
        kind: 'reply',
        toPhone: inbox!.phone,
        fromAddr: '10658',
        text: 'hello',
        groupId: null,
        seq: null,
        userId: inbox!.id,
      },
    ],
    T0 + 50,
  );
  // The SMS member's text went out: a finished text, which retention may drop with its message.
  await store.outbound.claim(10, T0 + 55);
  await store.outbound.markSubmitted(
    texted!,
    { gatewayRef: 'ref-1', encoding: 'GSM-7', segments: 1 },
    T0 + 60,
  );
  await store.users.createSession('token-hash-of-inbox', inbox!.id, T0, T0 + DAY);
  await store.users.addSigninCode(inbox!.phone, 'code-hash', T0, T0 + 600_000);
  await store.push.add(inbox!.id, 'https://push.example/inbox', 'p256dh-key', 'auth-key', T0);
  return { group, owner: owner!, live: live!, inbox: inbox!, sms: sms! };
}
