// The SMS claim's cost follows the queue, not the table: outbound_sms keeps every text ever sent (until
// retention), and a claim that walked it from the first id, or walked a number's whole history for its
// order checks, got slower with every text the server had sent. Its query plan must reach only the
// queued and in-flight rows, through migration 14's partial indexes, on a real migrated file.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { DUE_REMINDERS, UNROUTED } from '../../../src/store/sqlite/sqlite-delivery.ts';
import { CLAIM_DUE_TEXTS } from '../../../src/store/sqlite/sqlite-outbound.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from '../../helpers/server.ts';

/** The query plan of `sql` with `params` on a freshly migrated store file, one line per step. */
async function planOf(sql: string, params: Record<string, unknown> = {}): Promise<string[]> {
  const file = path.join(tempDir(), 'qun.db');
  await (await openSqliteStore(file, { gateway: 'sim' })).close();
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[Record<string, unknown>], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(params)
      .map((r) => r.detail);
  } finally {
    db.close();
  }
}

test('the SMS claim reads through the partial indexes of queued and in-flight texts, never a table scan', async () => {
  const plan = await planOf(CLAIM_DUE_TEXTS, { now: 0, holder: 'n1', limit: 5 });
  const onOutbound = plan.filter((d) => /^(SCAN|SEARCH) [ose]\b/.test(d));
  assert.equal(onOutbound.length, 3, `the claim and its two order checks: ${plan.join(' | ')}`);
  assert.match(onOutbound[0]!, /^SCAN o USING INDEX outbound_queued$/, 'queued texts in id order');
  assert.match(onOutbound[1]!, /^SEARCH s USING INDEX outbound_submitting_by_phone \(to_phone=\?/);
  assert.match(onOutbound[2]!, /^SEARCH e USING INDEX outbound_queued_by_phone \(to_phone=\? AND id<\?\)/);
  assert.ok(!plan.some((d) => /TEMP B-TREE/.test(d)), `no sort of the queue: ${plan.join(' | ')}`);
});

// The reminder claim's cost follows the due rows, not the memberships: it walks reminders_due in its key's
// order (due time first) from the start, and reaches each member's row by its primary key.
test('the reminder claim walks reminders_due in due order and looks members up by key, with no sort', async () => {
  const plan = await planOf(DUE_REMINDERS, { now: 0, limit: 5 });
  const outer = plan.filter((d) => /^(SCAN|SEARCH) [rmgu]\b/.test(d));
  assert.match(
    outer[0]!,
    /^SEARCH r USING PRIMARY KEY \(due_at<\?\)$/,
    `due rows first: ${plan.join(' | ')}`,
  );
  assert.match(outer[1]!, /^SEARCH m USING PRIMARY KEY \(group_id=\? AND user_id=\?\)$/);
  assert.ok(!plan.some((d) => /TEMP B-TREE/.test(d)), `no sort of the due rows: ${plan.join(' | ')}`);
});

// Start-up recovery reads every membership: group by group in primary-key order, not through
// memberships_user with a row fetch per entry (nine times slower at 1,000,000 memberships).
test('the start-up scan for undecided ranges walks memberships by primary key, group by group', async () => {
  const plan = await planOf(UNROUTED);
  assert.match(plan[0]!, /^SCAN g$/, plan.join(' | '));
  assert.match(plan[1]!, /^SEARCH m USING PRIMARY KEY \(group_id=\?\)$/, plan.join(' | '));
});
