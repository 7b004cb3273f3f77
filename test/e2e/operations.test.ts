// The operator's data tools on real stores: history retention and member export/erasure on SQLite and
// PostgreSQL, checked by what remains afterwards (copy-store: copy-store.test.ts).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { DAY, populate, T0 } from '../helpers/ops-fixture.ts';
import { freshDatabase, postgresInstalled } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/server.ts';

const pgOk = postgresInstalled('operations on PostgreSQL');

const engines: { name: string; open: () => Promise<Store> }[] = [
  { name: 'sqlite', open: () => openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' }) },
  ...(pgOk
    ? [{ name: 'postgres', open: async () => openPostgresStore(await freshDatabase(), { gateway: 'sim' }) }]
    : []),
];

for (const engine of engines) {
  describe(`operations on ${engine.name}`, () => {
    test('retention deletes old history only below every member’s settled cursor', async () => {
      const store = await engine.open();
      try {
        const { group, inbox } = await populate(store);
        const before = (await store.delivery.trailFor(group.id, 1)).length;
        assert.ok(before > 0, 'the trail had rows for seq 1');
        // Retention off (0 days): nothing goes however old.
        assert.deepEqual(await store.maintenance.pruneHistory(T0 + 400 * DAY, 0, 100), {
          groups: 0,
          deleted: 0,
        });
        // One day; the inbox member still waits for 5…10: only 1…4 may go, and in batches of 3.
        const first = await store.maintenance.pruneHistory(T0 + 2 * DAY, 1, 3);
        assert.deepEqual(first, { groups: 1, deleted: 3 });
        assert.equal((await store.maintenance.pruneHistory(T0 + 2 * DAY, 1, 3)).deleted, 1);
        assert.equal((await store.maintenance.pruneHistory(T0 + 2 * DAY, 1, 3)).deleted, 0);
        const left = await store.messages.range(group.id, 0, 100, 100);
        assert.deepEqual(
          left.map((m) => m.seq),
          [5, 6, 7, 8, 9, 10],
        );
        const g = await store.groups.byId(group.id);
        assert.equal(g!.prunedSeq, 4);
        assert.equal(g!.lastSeq, 10, 'the seq counter is untouched');
        // The trail of the whole-range decisions (0…10) stays: it covers messages still held.
        assert.ok((await store.delivery.trailFor(group.id, 5)).length > 0);
        // The inbox member catches up; now everything older than the day may go.
        await store.delivery.fetched(inbox.id, [{ groupId: group.id, seq: 10 }], T0 + DAY);
        assert.equal((await store.maintenance.pruneHistory(T0 + 2 * DAY, 1, 100)).deleted, 6);
        assert.deepEqual(await store.messages.range(group.id, 0, 100, 100), []);
        assert.deepEqual(
          await store.delivery.trailFor(group.id, 10),
          [],
          'trail rows of deleted messages go',
        );
        assert.deepEqual(await store.outbound.forMessage(group.id, 1), [], 'so do their finished texts');
        // A per-group setting overrides the default: 0 keeps a new message whatever the default says.
        await store.maintenance.setRetention(group.id, 0);
        const [m11] = await store.messages.append([
          {
            groupId: group.id,
            id: 'm-11',
            senderId: inbox.id,
            body: 'new',
            source: 'http',
            clientMsgId: null,
            audience: 'all',
            createdAt: T0,
          },
        ]);
        assert.equal(m11!.message.seq, 11, 'seqs continue after pruning');
        await store.delivery.ack(
          (await store.groups.members(group.id, ['active'])).map((m) => ({
            groupId: group.id,
            userId: m.userId,
            seq: 11,
          })),
          T0,
        );
        await store.delivery.fetched(inbox.id, [{ groupId: group.id, seq: 11 }], T0);
        assert.equal((await store.maintenance.pruneHistory(T0 + 9 * DAY, 1, 100)).deleted, 0);
      } finally {
        await store.close();
      }
    });

    test('export holds everything about a number; erasure leaves the log whole and the number gone', async () => {
      const store = await engine.open();
      try {
        const { group, inbox, owner } = await populate(store);
        const data = await store.maintenance.exportMember(inbox.phone);
        assert.ok(data);
        assert.equal(data.userId, inbox.id);
        assert.deepEqual(
          data.groups.map((g) => g.groupNumber),
          [group.groupNumber],
        );
        assert.equal(data.tables.messages!.length, 5, 'the five messages the member sent');
        assert.equal(data.tables.sessions!.length, 1);
        assert.equal(data.tables.push_subscriptions!.length, 1);
        assert.equal(data.tables.signin_codes!.length, 1);
        assert.ok(data.tables.outbound_sms!.some((o) => o.text === 'hello'));
        assert.ok(data.tables.trail!.length > 0);
        const text = JSON.stringify(data);
        for (const secret of ['token-hash-of-inbox', 'code-hash', 'p256dh-key', 'auth-key'])
          assert.ok(!text.includes(secret), `the export leaves out ${secret}`);
        assert.equal(await store.maintenance.exportMember('+8613899999999'), undefined);

        const version = await store.groups.version(group.id);
        const report = await store.maintenance.eraseMember(inbox.phone, T0 + DAY);
        assert.ok(report);
        assert.equal(report.anonymised.messages, 5);
        assert.equal(report.deleted.sessions, 1);
        assert.equal(report.deleted.push_subscriptions, 1);
        assert.equal(report.deleted.signin_codes, 1);
        // What remains: no row names the number, the user row is a husk, the log is whole.
        assert.equal(await store.users.byPhone(inbox.phone), undefined);
        const husk = await store.users.byId(inbox.id);
        assert.equal(husk!.phone, `erased:${inbox.id}`);
        assert.equal(husk!.smsOptedOut, true);
        assert.equal(await store.users.sessionUser('token-hash-of-inbox', T0 + 1), undefined);
        assert.deepEqual(await store.push.forUser(inbox.id), []);
        const log = await store.messages.range(group.id, 0, 100, 100);
        assert.deepEqual(
          log.map((m) => m.seq),
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        );
        for (const m of log) {
          if (m.senderId === inbox.id) assert.equal(m.body, '');
          else assert.match(m.body, /^message \d+$/);
        }
        assert.equal((await store.groups.member(group.id, inbox.id))!.state, 'removed');
        assert.equal((await store.groups.member(group.id, owner.id))!.state, 'active');
        assert.ok((await store.groups.version(group.id)) > version, 'cached member lists are invalidated');
        assert.equal(await store.outbound.countTexts(['reply'], inbox.phone, 0), 0);
        const again = await store.maintenance.exportMember(`erased:${inbox.id}`);
        assert.deepEqual(again!.tables.sessions, []);
        assert.deepEqual(again!.tables.trail, []);
        assert.ok(!JSON.stringify(again).includes(inbox.phone), 'nothing left names the number');
        assert.equal(
          await store.maintenance.eraseMember(inbox.phone, T0),
          undefined,
          'a second erasure finds nobody',
        );
      } finally {
        await store.close();
      }
    });
  });
}
