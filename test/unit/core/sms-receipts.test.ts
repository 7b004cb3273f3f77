// Receipts against a real store: a notice on the way (Kannel's DLR 8, "accepted by the SMSC") goes in the
// trail of its text even when it arrives after the final receipt — two callbacks from a gateway are two
// HTTP requests, and on a loaded machine the second can overtake the first.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ReceiptMatcher } from '../../../src/core/sms-receipts.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { createMetrics } from '../../../src/util/metrics.ts';
import { groupWithMembers, msg, T0, text } from '../../contract/store-fixtures.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { tempDir } from '../../helpers/server.ts';

test('a progress receipt after the final one still goes in the text’s trail, and changes nothing', async () => {
  const store = await openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'kannel' });
  try {
    const { group, owner, users } = await groupWithMembers(store, 2);
    const member = users[1]!;
    await store.messages.append([msg(group.id, owner.id, 1)]);
    const [id] = await store.outbound.enqueue([text(group.id, member.id, member.phone, 1)], T0);
    await store.outbound.claim(10, T0);
    await store.outbound.markSubmitted(id!, { gatewayRef: 'k-1', encoding: 'gsm7', segments: 1 }, T0 + 1);
    const receipts = new ReceiptMatcher(store, 'kannel', new ManualClock(T0 + 2), createMetrics());
    await receipts.receipt({ ref: 'k-1', delivered: true, detail: 'delivered to the phone' });
    await receipts.receipt({ ref: 'k-1', delivered: false, detail: 'accepted by the SMSC', progress: true });
    receipts.stop();
    const trail = (await store.delivery.trailFor(group.id, 1)).filter((t) => t.userId === member.id);
    assert.deepEqual(
      trail.map((t) => [t.rung, t.outcome, t.reason]),
      [
        ['sms', 'delivered', 'receipt: delivered to the phone'],
        ['sms', 'receipt_progress', 'receipt: accepted by the SMSC'],
      ],
    );
    assert.equal((await store.outbound.get(id!))!.state, 'delivered', 'the late notice changes no state');
  } finally {
    await store.close();
  }
});
