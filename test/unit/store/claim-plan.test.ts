// The SMS claim's cost follows the queue, not the table: outbound_sms keeps every text ever sent (until
// retention), and a claim that walked it from the first id, or walked a number's whole history for its
// order checks, got slower with every text the server had sent. Its query plan must reach only the
// queued and in-flight rows, through migration 14's partial indexes, on a real migrated file.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CLAIM_DUE_TEXTS } from '../../../src/store/sqlite/sqlite-outbound.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from '../../helpers/server.ts';

test('the SMS claim reads through the partial indexes of queued and in-flight texts, never a table scan', async () => {
  const file = path.join(tempDir(), 'qun.db');
  const store = await openSqliteStore(file, { gateway: 'sim' });
  await store.close();
  const db = new Database(file, { readonly: true });
  try {
    const plan = db
      .prepare<{ now: number; holder: string; limit: number }, { detail: string }>(
        `EXPLAIN QUERY PLAN ${CLAIM_DUE_TEXTS}`,
      )
      .all({ now: 0, holder: 'n1', limit: 5 })
      .map((r) => r.detail);
    const onOutbound = plan.filter((d) => /^(SCAN|SEARCH) [ose]\b/.test(d));
    assert.equal(onOutbound.length, 3, `the claim and its two order checks: ${plan.join(' | ')}`);
    assert.match(onOutbound[0]!, /^SCAN o USING INDEX outbound_queued$/, 'queued texts in id order');
    assert.match(onOutbound[1]!, /^SEARCH s USING INDEX outbound_submitting_by_phone \(to_phone=\?/);
    assert.match(onOutbound[2]!, /^SEARCH e USING INDEX outbound_queued_by_phone \(to_phone=\? AND id<\?\)/);
    assert.ok(!plan.some((d) => /TEMP B-TREE/.test(d)), `no sort of the queue: ${plan.join(' | ')}`);
  } finally {
    db.close();
  }
});
