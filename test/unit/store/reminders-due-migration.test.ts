// Migration 15 moves pending reminders into reminders_due: a file written by the release before keeps
// every reminder it had scheduled, due at the same time, and nothing that had none becomes due.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../../src/store/sqlite/migrations.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from '../../helpers/server.ts';

const T0 = 1_700_000_000_000;

test('a file from before migration 15 keeps its scheduled reminders, due when they were', async () => {
  const file = path.join(tempDir(), 'qun.db');
  const old = new Database(file);
  for (const m of SQLITE_MIGRATIONS.filter((x) => x.version <= 14)) old.exec(m.up);
  old.pragma('user_version = 14');
  old.exec(`INSERT INTO users (id, phone, created_at) VALUES (1, '+8613800000001', ${T0}),
      (2, '+8613800000002', ${T0}), (3, '+8613800000003', ${T0});
    INSERT INTO groups (id, app_number, group_number, name, invite_policy, member_cap, last_seq, created_at)
      VALUES (1, '01', '1000', 'Club', 'direct', 50, 1, ${T0});
    INSERT INTO messages (group_id, seq, id, sender_id, body, source, audience, created_at)
      VALUES (1, 1, 'm-1', 1, 'hello', 'http', 'all', ${T0});
    INSERT INTO memberships (group_id, user_id, role, state, joined_at, routed_seq, inbox_upto, reminder_due_at, updated_at)
      VALUES (1, 1, 'owner', 'active', ${T0}, 1, 0, NULL, ${T0}),
        (1, 2, 'member', 'active', ${T0}, 1, 1, ${T0 + 200}, ${T0}),
        (1, 3, 'member', 'active', ${T0}, 1, 1, ${T0 + 100}, ${T0});`);
  old.close();
  const store = await openSqliteStore(file, { gateway: 'sim' });
  try {
    assert.deepEqual(await store.delivery.claimReminders(T0 + 99, 10), [], 'none due before its time');
    assert.deepEqual(
      (await store.delivery.claimReminders(T0 + 200, 10)).map((r) => [
        r.userId,
        r.fromSeq,
        r.toSeq,
        r.unread,
      ]),
      [
        [3, 0, 1, 1],
        [2, 0, 1, 1],
      ],
      'both scheduled reminders, in due order; the owner had none',
    );
  } finally {
    await store.close();
  }
});
