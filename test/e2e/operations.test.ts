// The operator's data tools on real stores: history retention and member export/erasure on SQLite and
// PostgreSQL (what remains afterwards), and copy-store from an SQLite file into an empty PostgreSQL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { copyStore } from '../../src/store/ops/copy-store.ts';
import { createPool } from '../../src/store/postgres/pg-db.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freshDatabase, postgresInstalled } from '../helpers/postgres.ts';
import { BASE_ENV, ROOT, tempDir } from '../helpers/server.ts';

const run = promisify(execFile);
const DAY = 86_400_000;
const T0 = 1_800_000_000_000;
const pgOk = postgresInstalled('operations on PostgreSQL');

const engines: { name: string; open: () => Promise<Store> }[] = [
  { name: 'sqlite', open: () => openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' }) },
  ...(pgOk
    ? [{ name: 'postgres', open: async () => openPostgresStore(await freshDatabase(), { gateway: 'sim' }) }]
    : []),
];

/** A group of four: an owner who sends, a live member, an inbox member, an SMS member. */
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

if (pgOk) {
  describe('copy-store', () => {
    test('copies every table into an empty PostgreSQL, keeps ids, advances identities, refuses a non-empty target', async () => {
      const file = path.join(tempDir(), 'qun.db');
      const source = await openSqliteStore(file, { gateway: 'sim' });
      const { group, owner, inbox } = await populate(source);
      // A row in every other table as well: a simulated text, an inbound reference, a pending
      // confirmation, the server's key.
      const [reply] = await source.outbound.claim(10, T0 + 70);
      assert.equal(reply, undefined, 'populate left nothing queued');
      await source.outbound.enqueue(
        [
          {
            kind: 'reply',
            toPhone: inbox.phone,
            fromAddr: '10658',
            text: 'sim',
            groupId: null,
            seq: null,
            userId: inbox.id,
          },
        ],
        T0 + 80,
      );
      const [claimed] = await source.outbound.claim(10, T0 + 90);
      await source.sim.deliver(claimed!, { encoding: 'GSM-7', segments: 1 }, T0 + 91);
      assert.ok(await source.outbound.firstInbound('sim', 'mo-1', T0));
      await source.groups.putConfirmation(inbox.phone, group.id, '1234', 'G 13800000009', T0 + DAY);
      await source.maintenance.keyOrPut('vapid', '{"k":1}', T0);
      await source.close();
      const url = await freshDatabase();
      const lines: string[] = [];
      const report = await copyStore({ from: file, to: url, progress: (l) => lines.push(l) });
      assert.ok(lines.includes('messages: 10/10'), lines.join('\n'));
      const copied = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]));
      assert.equal(copied.users, 4);
      assert.equal(copied.messages, 10);
      // Every table of the SQLite schema arrived whole: the same row count and the same rows.
      const Database = (await import('better-sqlite3')).default;
      const lite = new Database(file, { readonly: true });
      // The engine's own pool: int8 columns come back as numbers, as SQLite gives them.
      const pgc = createPool(url, 1);
      try {
        const tables = (
          lite
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .all() as {
            name: string;
          }[]
        ).map((t) => t.name);
        assert.deepEqual([...tables].sort(), Object.keys(copied).sort());
        for (const t of tables) {
          const a = lite.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all();
          const b = (await pgc.query(`SELECT * FROM ${t} ORDER BY 1, 2`)).rows;
          assert.ok(a.length > 0, `the source has rows in ${t}`);
          assert.deepEqual(b, a, `table ${t}`);
        }
      } finally {
        lite.close();
        await pgc.end();
      }
      assert.ok(
        report.tables.findIndex((t) => t.table === 'users') <
          report.tables.findIndex((t) => t.table === 'memberships'),
      );

      const target = await openPostgresStore(url, { gateway: 'sim' });
      try {
        assert.deepEqual(await target.groups.byId(group.id), {
          ...(await (async () => {
            const s = await openSqliteStore(file, { gateway: 'sim' });
            const g = await s.groups.byId(group.id);
            await s.close();
            return g;
          })()),
        });
        assert.deepEqual(
          (await target.messages.range(group.id, 0, 100, 100)).map((m) => [m.seq, m.body]),
          Array.from({ length: 10 }, (_, i) => [i + 1, `message ${i + 1}`]),
        );
        assert.equal((await target.users.byPhone(owner.phone))!.id, owner.id);
        // New rows get ids past the copied ones, and the log continues at the next seq.
        const newcomer = await target.users.upsertByPhone('+8613800000099', T0);
        assert.equal(newcomer.id, 5);
        const [next] = await target.messages.append([
          {
            groupId: group.id,
            id: 'm-next',
            senderId: owner.id,
            body: 'after the move',
            source: 'http',
            clientMsgId: null,
            audience: 'all',
            createdAt: T0,
          },
        ]);
        assert.equal(next!.message.seq, 11);
        const ids = await target.outbound.enqueue(
          [
            {
              kind: 'reply',
              toPhone: owner.phone,
              fromAddr: '10658',
              text: 'x',
              groupId: null,
              seq: null,
              userId: owner.id,
            },
          ],
          T0,
        );
        assert.equal(ids[0], 4, 'after the three copied texts');
      } finally {
        await target.close();
      }
      await assert.rejects(
        copyStore({ from: file, to: url }),
        /target database is not empty \(table \w+ has \d+ rows\)/,
      );
    });

    test('the qun commands: migrate, copy-store with progress, backup, export and erase', async () => {
      const dataDir = tempDir();
      const env = { ...process.env, ...BASE_ENV, QUN_DATA_DIR: dataDir };
      const qun = (args: string[], extra: Record<string, string> = {}) =>
        run(process.execPath, [path.join(ROOT, 'src/main.ts'), ...args], { env: { ...env, ...extra } });
      const m1 = await qun(['migrate']);
      assert.match(m1.stdout, /schema migrated from version 0 to \d+/);
      assert.match((await qun(['migrate'])).stdout, /nothing to do/);
      const store = await openSqliteStore(path.join(dataDir, 'qun.db'), { gateway: 'sim' });
      const { inbox } = await populate(store);
      await store.close();

      const backup = path.join(tempDir(), 'backup.db');
      const b = await qun(['backup', backup]);
      assert.match(b.stdout, /backed up \d+ pages/);
      const copy = await openSqliteStore(backup, { gateway: 'sim' });
      assert.equal((await copy.messages.range(1, 0, 100, 100)).length, 10, 'the backup holds the log');
      await copy.close();
      await assert.rejects(qun(['backup', backup]), /refusing to overwrite/);

      const url = await freshDatabase();
      const c = await qun(['copy-store', '--to', url]);
      assert.match(c.stderr, /messages: 10\/10/);
      assert.match(c.stdout, /copied \d+ rows/);
      await assert.rejects(qun(['copy-store', '--to', url]), /not empty/);
      await assert.rejects(qun(['backup', 'x.dump'], { QUN_DATABASE_URL: url }), /pg_dump --format=custom/);

      const e = await qun(['export-member', '13800000003'], { QUN_DATABASE_URL: url });
      assert.equal(JSON.parse(e.stdout).userId, inbox.id);
      await assert.rejects(qun(['erase-member', '13800000003'], { QUN_DATABASE_URL: url }), /--yes/);
      const r = await qun(['erase-member', '13800000003', '--yes'], { QUN_DATABASE_URL: url });
      assert.equal(JSON.parse(r.stdout).anonymised.messages, 5);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const left = await client.query("SELECT count(*)::int AS n FROM users WHERE phone = '+8613800000003'");
      await client.end();
      assert.equal(left.rows[0].n, 0);
    });
  });
}
