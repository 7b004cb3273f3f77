// copy-store from an SQLite file into an empty PostgreSQL (every table compared afterwards), and the
// qun commands (migrate, backup, copy-store, export-member, erase-member) run as an operator runs them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { copyStore } from '../../src/store/ops/copy-store.ts';
import { createPool } from '../../src/store/postgres/pg-db.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { SQLITE_ONLY_TABLES } from '../../src/store/sqlite/sqlite-reminders-due.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { sentReminder } from '../contract/store-fixtures.ts';
import { DAY, populate, T0 } from '../helpers/ops-fixture.ts';
import { freshDatabase, postgresInstalled } from '../helpers/postgres.ts';
import { BASE_ENV, ROOT, tempDir } from '../helpers/server.ts';

const run = promisify(execFile);
const pgOk = postgresInstalled('copy-store and the qun commands');

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
            // The owner: the inbox member's reply is still in flight, and would hold this one back.
            toPhone: owner.phone,
            fromAddr: '10658',
            text: 'sim',
            groupId: null,
            seq: null,
            userId: owner.id,
          },
        ],
        T0 + 80,
      );
      const [claimed] = await source.outbound.claim(10, T0 + 90);
      await source.sim.deliver(claimed!, { encoding: 'GSM-7', segments: 1 }, T0 + 91);
      assert.ok(await source.outbound.firstInbound('sim', 'mo-1', T0));
      await source.groups.putConfirmation(inbox.phone, group.id, '123456', 'G 13800000009', T0 + DAY, T0);
      await source.maintenance.keyOrPut('vapid', '{"k":1}', T0);
      // A wrong code from another number: a confirmation failure, the pending one above untouched.
      await source.groups.takeConfirmation(owner.phone, group.id, '000000', T0);
      await source.presence.write([{ userId: inbox.id, node: 'n1', kind: 'web', expiresAt: T0 + DAY }], []);
      await source.probe(T0);
      assert.ok(await source.leases.hold('retention', T0, T0 + DAY));
      await source.policy.setPrefs(
        group.id,
        inbox.id,
        { smsMode: 'never', muted: false, digest: true, quiet: null, timeZone: 'Asia/Shanghai' },
        T0,
      );
      await source.policy.setGroupPolicy(
        group.id,
        { smsBudgetDay: 100, smsBudgetMonth: null, digestWindowMs: null },
        T0,
      );
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
        )
          .map((t) => t.name)
          .filter((t) => !SQLITE_ONLY_TABLES.includes(t));
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

    // SQLite keeps a sent reminder's time on the membership and drops its reminders_due row; the copy carries
    // what the reminder is (sent), not the stored time.
    test('a reminder already sent on SQLite is not pending after the copy, one still to come is', async () => {
      const file = path.join(tempDir(), 'qun.db');
      const source = await openSqliteStore(file, { gateway: 'sim' });
      const { group, owner, inbox, live } = await populate(source);
      const { settled } = await source.delivery.remindDue(T0 + DAY, 10, (r) => sentReminder(r, T0 + DAY));
      assert.deepEqual(
        settled.map((r) => r.userId),
        [inbox.id],
      );
      // A reminder still to come: a message after the pass goes to the live member's inbox.
      await source.messages.append([
        {
          groupId: group.id,
          id: 'm-after',
          senderId: owner.id,
          body: 'after the pass',
          source: 'http',
          clientMsgId: null,
          audience: 'all',
          createdAt: T0 + DAY,
        },
      ]);
      await source.delivery.route([
        {
          groupId: group.id,
          userId: live.id,
          seqFrom: 10,
          seqTo: 11,
          rung: 'inbox',
          reason: 'test',
          sms: [],
          reminderDueAt: T0 + 2 * DAY,
          at: T0 + DAY,
        },
      ]);
      await source.close();
      const url = await freshDatabase();
      await copyStore({ from: file, to: url });
      const target = await openPostgresStore(url, { gateway: 'sim' });
      try {
        assert.deepEqual(
          (await target.delivery.claimReminders(T0 + 3 * DAY, 10)).map((r) => r.userId),
          [live.id],
        );
      } finally {
        await target.close();
      }
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
      const { inbox, group } = await populate(store);
      await store.close();

      const set = await qun(['retention', '01', group.groupNumber, '30']);
      assert.match(set.stdout, /history kept 30 days/);
      await assert.rejects(
        qun(['retention', '01', group.groupNumber, 'soon']),
        /whole number from 0 to 36500/,
      );
      await assert.rejects(qun(['retention', '01', '9999', '30']), /no group 9999/);
      // The fixture's messages are dated in the future: a run now deletes nothing, and says so.
      assert.match((await qun(['prune'])).stdout, /deleted 0 messages/);

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
