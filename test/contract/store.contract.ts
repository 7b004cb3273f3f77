// The Store contract: what every engine must do the same way. Run against SQLite (a temp file) and
// PostgreSQL (a throwaway local server); a new engine adds a runner that calls storeContract().
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewMessage, NewOutbound, Store } from '../../src/store/store.ts';
import { statsContract } from './store-stats.contract.ts';

export interface StoreFactory {
  /** A new, empty store. */
  open(): Promise<Store>;
  /** A second store on the same data (another Qun node), where the engine allows it. */
  openSecond?(first: Store): Promise<Store>;
}

const T0 = 1_800_000_000_000;

async function groupWithMembers(store: Store, n: number) {
  const owner = await store.users.upsertByPhone('+8613800000000', T0);
  const group = await store.groups.create(
    { appNumber: '01', name: 'Test', invitePolicy: 'direct', memberCap: 500, ownerId: owner.id },
    (attempt) => String(1000 + attempt),
    T0,
  );
  const users = [owner];
  for (let i = 1; i < n; i++) users.push(await store.users.upsertByPhone(`+86138000000${10 + i}`, T0));
  const changes = users
    .slice(1)
    .map((u) => ({ userId: u.id, state: 'active' as const, role: 'member' as const }));
  assert.ok(await store.groups.applyMembership(group.id, 0, changes, T0));
  return { group, owner, users };
}

function msg(groupId: number, senderId: number, i: number, clientMsgId: string | null = null): NewMessage {
  return {
    groupId,
    id: `m-${groupId}-${senderId}-${i}-${clientMsgId ?? 'x'}`,
    senderId,
    body: `message ${i}`,
    source: 'http',
    clientMsgId,
    audience: 'all',
    createdAt: T0 + i,
  };
}

function text(groupId: number, userId: number, phone: string, seq: number): NewOutbound {
  return {
    kind: 'group_message',
    toPhone: phone,
    fromAddr: '1065801',
    text: `t${seq}`,
    groupId,
    seq,
    userId,
  };
}

export function storeContract(engine: string, factory: StoreFactory): void {
  describe(`Store contract: ${engine}`, () => {
    test('commits are durable before they are acknowledged', async () => {
      const store = await factory.open();
      try {
        const d = await store.durability();
        assert.match(d.synchronous, /^(FULL|EXTRA|on|remote_apply)$/);
        assert.equal(d.journal, 'wal');
      } finally {
        await store.close();
      }
    });

    test('the log is gap-free per group and a client id is stored once', async () => {
      const store = await factory.open();
      try {
        const { group, owner, users } = await groupWithMembers(store, 3);
        // A second group: its number collides with the first and the next candidate is taken.
        const other = await groupWithMembers(store, 1);
        assert.equal(other.group.groupNumber, '1001');
        await store.messages.append([msg(other.group.id, owner.id, 1)]);
        const batch = [
          msg(group.id, owner.id, 1, 'c1'),
          msg(group.id, users[1]!.id, 2),
          msg(group.id, owner.id, 3, 'c1'),
        ];
        const r = await store.messages.append(batch);
        assert.deepEqual(
          r.map((x) => [x.message.seq, x.duplicate]),
          [
            [1, false],
            [2, false],
            [1, true],
          ],
        );
        const again = await store.messages.append([msg(group.id, owner.id, 9, 'c1')]);
        assert.equal(again[0]!.duplicate, true);
        assert.equal(again[0]!.message.body, 'message 1');
        const log = await store.messages.range(group.id, 0, 100, 100);
        assert.deepEqual(
          log.map((m) => m.seq),
          [1, 2],
        );
        assert.equal((await store.groups.byId(group.id))!.lastSeq, 2);
        assert.equal((await store.messages.byId(log[1]!.id))!.senderId, users[1]!.id);
        await assert.rejects(store.messages.append([msg(group.id + 999, owner.id, 1)]));
        assert.equal((await store.groups.byId(group.id))!.lastSeq, 2, 'a failed batch changes nothing');
      } finally {
        await store.close();
      }
    });

    test('concurrent appends (one node or two) never share or skip a seq', async () => {
      const store = await factory.open();
      const second = factory.openSecond ? await factory.openSecond(store) : store;
      try {
        const { group, owner } = await groupWithMembers(store, 2);
        const writers = [store, second, store, second];
        await Promise.all(
          writers.map((s, w) =>
            (async () => {
              for (let i = 0; i < 25; i++) await s.messages.append([msg(group.id, owner.id, w * 100 + i)]);
            })(),
          ),
        );
        const log = await store.messages.range(group.id, 0, 1000, 1000);
        assert.deepEqual(
          log.map((m) => m.seq),
          Array.from({ length: 100 }, (_, i) => i + 1),
        );
      } finally {
        if (second !== store) await second.close();
        await store.close();
      }
    });

    test('membership changes apply only at the expected version', async () => {
      const store = await factory.open();
      try {
        const { group, users } = await groupWithMembers(store, 3);
        const v = await store.groups.version(group.id);
        const leave = [{ userId: users[2]!.id, state: 'left' as const, role: 'member' as const }];
        assert.equal(await store.groups.applyMembership(group.id, v - 1, leave, T0), false);
        assert.equal((await store.groups.member(group.id, users[2]!.id))!.state, 'active');
        assert.equal(await store.groups.applyMembership(group.id, v, leave, T0), true);
        assert.equal(await store.groups.version(group.id), v + 1);
        const active = await store.groups.members(group.id, ['active']);
        assert.deepEqual(active.map((m) => m.userId).sort(), [users[0]!.id, users[1]!.id].sort());
        const mine = await store.groups.ofUser(users[2]!.id, ['left']);
        assert.deepEqual(
          mine.map((x) => [x.group.id, x.membership.state]),
          [[group.id, 'left']],
        );
        // Rejoining starts the member's cursors at the current end of the log.
        await store.messages.append([msg(group.id, users[0]!.id, 1), msg(group.id, users[0]!.id, 2)]);
        const rejoin = [{ userId: users[2]!.id, state: 'active' as const, role: 'member' as const }];
        assert.ok(await store.groups.applyMembership(group.id, v + 1, rejoin, T0 + 5));
        const m = (await store.groups.member(group.id, users[2]!.id))!;
        assert.deepEqual([m.joinedSeq, m.ackedSeq, m.routedSeq, m.fetchedSeq], [2, 2, 2, 2]);
      } finally {
        await store.close();
      }
    });

    test('sign-in codes allow five wrong guesses; sessions end by revoke or expiry', async () => {
      const store = await factory.open();
      try {
        const phone = '+8613900000001';
        await store.users.addSigninCode(phone, 'right', T0, T0 + 600_000);
        assert.equal(await store.users.countSigninCodes(phone, T0 - 1), 1);
        for (let i = 0; i < 5; i++)
          assert.equal(await store.users.consumeSigninCode(phone, 'wrong', T0), false);
        assert.equal(await store.users.consumeSigninCode(phone, 'right', T0), false, 'locked after 5');
        await store.users.addSigninCode(phone, 'next', T0, T0 + 600_000);
        assert.equal(await store.users.consumeSigninCode(phone, 'next', T0 + 700_000), false, 'expired');
        await store.users.addSigninCode(phone, 'third', T0, T0 + 600_000);
        assert.equal(await store.users.consumeSigninCode(phone, 'third', T0 + 1), true);
        assert.equal(await store.users.consumeSigninCode(phone, 'third', T0 + 2), false, 'used once');

        const u = await store.users.upsertByPhone(phone, T0);
        assert.equal((await store.users.upsertByPhone(phone, T0 + 9)).id, u.id);
        await store.users.createSession('h1', u.id, T0, T0 + 1000);
        assert.equal((await store.users.sessionUser('h1', T0 + 1))?.id, u.id);
        assert.equal(await store.users.sessionUser('h1', T0 + 1000), undefined, 'expired');
        assert.equal(await store.users.sessionExpiry('h1', T0), T0 + 1000);
        assert.equal(await store.users.revokeSession('h1', T0 + 2), u.id);
        assert.equal(await store.users.revokeSession('h1', T0 + 3), undefined, 'revoked once');
        assert.equal(await store.users.sessionUser('h1', T0 + 4), undefined);
      } finally {
        await store.close();
      }
    });

    test('acks cancel queued texts; a member is texted a group message at most once', async () => {
      const store = await factory.open();
      try {
        const { group, owner, users } = await groupWithMembers(store, 2);
        const member = users[1]!;
        await store.messages.append([1, 2, 3].map((i) => msg(group.id, owner.id, i)));
        await store.delivery.route([
          {
            groupId: group.id,
            userId: member.id,
            seqFrom: 0,
            seqTo: 3,
            rung: 'sms',
            reason: 'test',
            at: T0,
            reminderDueAt: null,
            sms: [1, 2, 3, 3].map((s) => text(group.id, member.id, member.phone, s)),
          },
        ]);
        assert.equal(await store.outbound.depth(), 3, 'the repeated seq 3 is not queued twice');
        assert.equal(await store.delivery.ack([{ groupId: group.id, userId: member.id, seq: 2 }], T0 + 1), 2);
        const states = await Promise.all([1, 2, 3].map((s) => store.outbound.forMessage(group.id, s)));
        assert.deepEqual(
          states.map((s) => s.map((o) => o.state)),
          [['cancelled'], ['cancelled'], ['queued']],
        );
        // An ack beyond the end of the log stops at the end.
        await store.delivery.ack([{ groupId: group.id, userId: member.id, seq: 99 }], T0 + 2);
        assert.equal((await store.groups.member(group.id, member.id))!.ackedSeq, 3);
        assert.deepEqual(await store.delivery.unrouted(), []);
        const trail = await store.delivery.trailFor(group.id, 2);
        assert.deepEqual(
          trail.map((t) => [t.rung, t.outcome]),
          [['sms', 'sms_queued']],
        );
      } finally {
        await store.close();
      }
    });

    test('a queued text is claimed once; receipts match ignoring case and leading zeros', async () => {
      const store = await factory.open();
      const second = factory.openSecond ? await factory.openSecond(store) : store;
      try {
        const u = await store.users.upsertByPhone('+8613700000001', T0);
        const items = Array.from(
          { length: 40 },
          (_, i): NewOutbound => ({
            kind: 'reply',
            toPhone: u.phone,
            fromAddr: '10658',
            text: `r${i}`,
            groupId: null,
            seq: null,
            userId: u.id,
          }),
        );
        await store.outbound.enqueue(items, T0);
        const claims = await Promise.all([store, second, store, second].map((s) => s.outbound.claim(15, T0)));
        const ids = claims.flat().map((o) => o.id);
        assert.equal(ids.length, 40);
        assert.equal(new Set(ids).size, 40, 'no text claimed twice');
        assert.equal((await store.outbound.inDoubt()).length, 40);
        const first = ids.sort((a, b) => a - b)[0]!;
        await store.outbound.markSubmitted(
          first,
          { gatewayRef: '00AB12', encoding: 'gsm7', segments: 1 },
          T0,
        );
        const hit = await store.outbound.markDelivered('sim', 'ab12', true, 'DELIVRD', T0 + 1);
        assert.equal(hit?.id, first);
        assert.equal((await store.outbound.get(first))!.state, 'delivered');
        assert.equal(await store.outbound.markDelivered('sim', 'ffff', true, 'DELIVRD', T0 + 1), undefined);
        assert.equal(await store.outbound.countTexts(['reply'], u.phone, T0), 40);
        assert.equal(await store.outbound.countTexts(['code'], null, T0), 0);
      } finally {
        if (second !== store) await second.close();
        await store.close();
      }
    });

    test('a STOP between queueing and claiming wins', async () => {
      const store = await factory.open();
      try {
        const u = await store.users.upsertByPhone('+8613700000002', T0);
        const base = { toPhone: u.phone, fromAddr: '10658', groupId: null, seq: null, userId: u.id };
        await store.outbound.enqueue(
          [
            { ...base, kind: 'reply', text: 'normal' },
            { ...base, kind: 'reply', text: 'stop confirmation', ignoreOptOut: true },
          ],
          T0,
        );
        await store.users.setOptOut(u.phone, true, T0);
        const claimed = await store.outbound.claim(10, T0);
        assert.deepEqual(
          claimed.map((o) => o.text),
          ['stop confirmation'],
        );
        assert.equal(await store.outbound.depth(), 1, 'only the claimed one is still pending');
      } finally {
        await store.close();
      }
    });

    test('inbound references are seen once', async () => {
      const store = await factory.open();
      try {
        assert.equal(await store.outbound.inboundSeen('kannel', 'r1'), false);
        assert.equal(await store.outbound.firstInbound('kannel', 'r1', T0), true);
        assert.equal(await store.outbound.firstInbound('kannel', 'r1', T0), false);
        assert.equal(await store.outbound.inboundSeen('kannel', 'r1'), true);
        assert.equal(await store.outbound.firstInbound('smpp', 'r1', T0), true, 'per gateway');
      } finally {
        await store.close();
      }
    });

    test('text that looks like SQL is stored and read back as text', async () => {
      const store = await factory.open();
      try {
        const { group, owner } = await groupWithMembers(store, 1);
        const hostile = [
          "'; DROP TABLE messages; --",
          "1' OR '1'='1",
          '$1); DELETE FROM users; --',
          "\\'; SELECT pg_sleep(5); --",
          'Robert"); DROP TABLE groups;--',
          'emoji 👍 and 中文 stay intact',
        ];
        await store.messages.append(hostile.map((body, i) => ({ ...msg(group.id, owner.id, i), body })));
        await store.groups.rename(group.id, hostile[0]!);
        await store.users.setDisplayName(owner.id, hostile[1]!);
        const log = await store.messages.range(group.id, 0, 100, 100);
        assert.deepEqual(
          log.map((m) => m.body),
          hostile,
        );
        assert.equal((await store.groups.byId(group.id))!.name, hostile[0]);
        assert.equal((await store.users.byId(owner.id))!.displayName, hostile[1]);
        assert.equal(await store.users.byPhone("' OR 1=1 --"), undefined);
        assert.equal(await store.groups.byNumber('01', "1000' OR '1'='1"), undefined);
      } finally {
        await store.close();
      }
    });
    statsContract(factory);
  });
}
