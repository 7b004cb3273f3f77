// The Store contract: what every engine must do the same way. Run against SQLite (a temp file) and
// PostgreSQL (a throwaway local server); a new engine adds a runner that calls storeContract(). Every
// Store method is called by it: the last case fails when one is not (test/helpers/store-coverage.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AppendResult, NewOutbound, Store } from '../../src/store/store.ts';
import { storeCoverage } from '../helpers/store-coverage.ts';
import { policyStoreContract } from './policy-store.contract.ts';
import { presenceTrailContract } from './presence-trail.contract.ts';
import { accountsContract } from './store-accounts.contract.ts';
import { deliveryContract } from './store-delivery.contract.ts';
import { groupWithMembers, msg, type StoreFactory, T0, text } from './store-fixtures.ts';
import { inputContract } from './store-input.contract.ts';
import { leasesContract } from './store-leases.contract.ts';
import { maintenanceContract } from './store-maintenance.contract.ts';
import { nodesContract } from './store-nodes.contract.ts';
import { outboundContract } from './store-outbound.contract.ts';
import { statsContract } from './store-stats.contract.ts';

export type { StoreFactory } from './store-fixtures.ts';

export function storeContract(engine: string, raw: StoreFactory): void {
  const coverage = storeCoverage();
  let sample: Store | undefined;
  // The runners key their own state by the store they opened: hand them that one back.
  const unwrapped = new WeakMap<Store, Store>();
  const track = (store: Store) => {
    const tracked = coverage.track(store);
    unwrapped.set(tracked, store);
    return tracked;
  };
  const factory: StoreFactory = {
    async open() {
      const store = await raw.open();
      sample ??= store;
      return track(store);
    },
    openSecond:
      raw.openSecond && (async (first) => track(await raw.openSecond!(unwrapped.get(first) ?? first))),
    openNode: async (first, nodeId) => track(await raw.openNode(unwrapped.get(first) ?? first, nodeId)),
  };
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

    test('batches over several groups from two writers: one seq per client id, gap-free, senders routed', async () => {
      const store = await factory.open();
      const second = factory.openSecond ? await factory.openSecond(store) : store;
      try {
        const a = await groupWithMembers(store, 2);
        const b = await groupWithMembers(store, 1);
        const sender = a.users[1]!;
        await store.groups.applyMembership(
          b.group.id,
          await store.groups.version(b.group.id),
          [{ userId: sender.id, state: 'active', role: 'member' }],
          T0,
        );
        // Both writers send the same client ids (a retry reaching two nodes), interleaved over two groups.
        const batch = (w: number, round: number) =>
          [0, 1, 2, 3].map((i) =>
            msg(
              i % 2 === 0 ? a.group.id : b.group.id,
              sender.id,
              w * 1000 + round * 10 + i,
              `r${round}-${i}`,
            ),
          );
        const results = await Promise.all(
          [store, second].map(async (s, w) => {
            const out = [];
            for (let round = 0; round < 15; round++) out.push(...(await s.messages.append(batch(w, round))));
            return out;
          }),
        );
        const [one, two] = results as [AppendResult[], AppendResult[]];
        for (const [i, r] of one.entries()) {
          assert.equal(r.message.seq, two[i]!.message.seq, 'both writers got the one stored message');
          assert.equal(r.duplicate !== two[i]!.duplicate, true, 'exactly one of them stored it');
        }
        for (const g of [a.group.id, b.group.id]) {
          const log = await store.messages.range(g, 0, 1000, 1000);
          assert.deepEqual(
            log.map((m) => m.seq),
            Array.from({ length: 30 }, (_, i) => i + 1),
          );
          // The sender sent everything in both groups: their routed and read cursors followed.
          const m = (await store.groups.member(g, sender.id))!;
          assert.deepEqual([m.routedSeq, m.readSeq], [30, 30]);
        }
        // Within one batch a repeated client id is the same message, and a fresh one follows it.
        const r = await store.messages.append([
          msg(a.group.id, sender.id, 1, 'same'),
          msg(a.group.id, sender.id, 2, 'same'),
          msg(a.group.id, sender.id, 3, null),
        ]);
        assert.deepEqual(
          r.map((x) => [x.message.seq, x.duplicate, x.message.body]),
          [
            [31, false, 'message 1'],
            [31, true, 'message 1'],
            [32, false, 'message 3'],
          ],
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
        // The acks wrote their own trail events: seq 2 was acked live after its text was queued.
        const trail = await store.delivery.trailFor(group.id, 2);
        assert.deepEqual(
          trail.map((t) => [t.rung, t.outcome]),
          [
            ['sms', 'sms_queued'],
            ['live', 'acked'],
          ],
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
            // Forty numbers: one number's texts are claimed by one claimer at a time (store-leases.contract.ts).
            toPhone: i === 0 ? u.phone : `+861370001${String(i).padStart(4, '0')}`,
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
        const [hit] = await store.outbound.receiptCandidates('sim', 'ab12');
        assert.equal(hit?.id, first, 'found ignoring case and leading zeros');
        assert.equal(
          (await store.outbound.settleReceipt(first, true, 'DELIVRD', T0 + 1))?.state,
          'delivered',
        );
        assert.equal((await store.outbound.get(first))!.state, 'delivered');
        assert.deepEqual(await store.outbound.receiptCandidates('sim', 'ffff'), []);
        assert.equal(await store.outbound.countTexts(['reply'], null, T0), 40);
        assert.equal(await store.outbound.countTexts(['reply'], u.phone, T0), 1);
        assert.equal(await store.outbound.countTexts(['code'], null, T0), 0);
      } finally {
        if (second !== store) await second.close();
        await store.close();
      }
    });

    test('a receipt settles only a submitted text, records its session, and clears old errors', async () => {
      const store = await factory.open();
      try {
        const u = await store.users.upsertByPhone('+8613700000009', T0);
        const base = {
          kind: 'reply' as const,
          toPhone: u.phone,
          fromAddr: '10658',
          groupId: null,
          seq: null,
          userId: u.id,
        };
        // Three numbers: one number's retried text would wait for the one before it (still in flight here).
        await store.outbound.enqueue(
          [1, 2, 3].map((i) => ({ ...base, toPhone: `${u.phone}${i}`, text: `t${i}` })),
          T0,
        );
        const [a, b, c] = await store.outbound.claim(3, T0);
        // b was retried once (its error text stays until it settles).
        await store.outbound.requeue(b!.id, 'no response', T0, T0);
        const [b2] = await store.outbound.claim(1, T0);
        assert.equal(b2!.id, b!.id);
        await store.outbound.markSubmittedMany(
          [
            { id: a!.id, gatewayRef: '1', gatewaySession: 's1', encoding: 'gsm7', segments: 1 },
            { id: b!.id, gatewayRef: '1', gatewaySession: 's2', encoding: 'gsm7', segments: 1 },
          ],
          T0,
        );
        await store.outbound.markSubmitted(
          c!.id,
          { gatewayRef: '2', gatewaySession: 's2', encoding: 'gsm7', segments: 1 },
          T0,
        );
        const cands = await store.outbound.receiptCandidates('sim', '01');
        assert.deepEqual(
          cands.map((x) => [x.id, x.gatewaySession]),
          [
            [b!.id, 's2'],
            [a!.id, 's1'],
          ],
          'newest first, each with its session',
        );
        assert.equal(
          (await store.outbound.settleReceipt(a!.id, false, 'UNDELIV err:901', T0 + 1))?.error,
          'UNDELIV err:901',
        );
        assert.equal(
          await store.outbound.settleReceipt(a!.id, true, 'DELIVRD', T0 + 2),
          undefined,
          'failed stays failed',
        );
        assert.equal((await store.outbound.get(a!.id))!.state, 'failed');
        const got = await store.outbound.settleReceipt(b!.id, true, 'DELIVRD', T0 + 3);
        assert.equal(got?.state, 'delivered');
        assert.equal(got?.error, null, 'no old error text on a delivered text');
        assert.equal(await store.outbound.settleReceipt(b!.id, false, 'EXPIRED', T0 + 4), undefined);
        assert.equal((await store.outbound.get(c!.id))!.gatewaySession, 's2');
      } finally {
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

    test('a pending confirmation is not replaced; wrong codes are counted; groups count by creator', async () => {
      const store = await factory.open();
      try {
        const { group, owner } = await groupWithMembers(store, 1);
        const phone = owner.phone;
        assert.equal(
          await store.groups.putConfirmation(phone, group.id, '123456', 'DEL 1', T0 + 300, T0),
          true,
        );
        // Pending and unexpired: a second request changes nothing, so it cannot text a second code.
        assert.equal(
          await store.groups.putConfirmation(phone, group.id, '654321', 'DEL 2', T0 + 400, T0 + 1),
          false,
        );
        assert.equal(await store.groups.takeConfirmation(phone, group.id, '123456', T0 + 2), 'DEL 1');
        assert.equal(await store.groups.countConfirmFailures(phone, group.id, T0), 0);
        // A wrong code drops the pending command and counts; so does a code with nothing pending.
        await store.groups.putConfirmation(phone, group.id, '111111', 'DEL 3', T0 + 300, T0 + 3);
        assert.equal(await store.groups.takeConfirmation(phone, group.id, '222222', T0 + 4), undefined);
        assert.equal(await store.groups.takeConfirmation(phone, group.id, '111111', T0 + 5), undefined);
        assert.equal(await store.groups.countConfirmFailures(phone, group.id, T0), 2);
        assert.equal(await store.groups.countConfirmFailures(phone, group.id, T0 + 5), 1);
        assert.equal(await store.groups.countConfirmFailures('+8613800000099', group.id, T0), 0);
        // An expired pending confirmation may be replaced.
        await store.groups.putConfirmation(phone, group.id, '333333', 'DEL 4', T0 + 10, T0 + 6);
        assert.equal(
          await store.groups.putConfirmation(phone, group.id, '444444', 'DEL 5', T0 + 90, T0 + 10),
          true,
        );
        assert.equal(await store.groups.takeConfirmation(phone, group.id, '444444', T0 + 11), 'DEL 5');
        assert.equal(await store.groups.countCreatedBy(owner.id, T0), 1);
        assert.equal(await store.groups.countCreatedBy(owner.id, T0 + 1), 0);
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
    deliveryContract(factory);
    outboundContract(factory);
    accountsContract(factory);
    inputContract(factory);
    nodesContract(factory);
    leasesContract(factory);
    presenceTrailContract(engine, factory);
    policyStoreContract(engine, factory);
    statsContract(factory);
    maintenanceContract(factory);

    // Last: a method no case above called (a new one included) fails the contract here.
    test('the contract calls every Store method', () => {
      assert.ok(sample, 'a store was opened');
      const missing = coverage.methodsOf(sample).filter((m) => !coverage.called.has(m));
      assert.deepEqual(missing, [], `Store methods the contract never calls: ${missing.join(', ')}`);
    });
  });
}
