// One number's texts reach the SMSC in queue order even when some fail for a while: a text in back-off
// (ESME_RSYSERR on a share of the submits, retried by the queue a second later) holds back the texts to its number claimed with it
// (handed back) and those queued after it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRig } from './harness.ts';
import { startQueue } from './queue.ts';

const NUMBERS = 8;
const PER_NUMBER = 15;

test(`${NUMBERS} numbers × ${PER_NUMBER} texts with 15% ESME_RSYSERR: each number's texts in queue order`, async () => {
  const rig = await startRig({ smsc: { faults: { sysErrPct: 15 } }, env: { QUN_SMS_TPS: '200' } });
  const texts = Array.from({ length: NUMBERS * PER_NUMBER }, (_, i) => ({
    to: `+86139${String(i % NUMBERS).padStart(8, '0')}`,
    from: '106580123456',
    text: `part ${Math.floor(i / NUMBERS)}`,
  }));
  const q = await startQueue(rig, texts, 200);
  try {
    const rows = await q.drained(90_000);
    assert.ok(rows.every((r) => r.state === 'submitted' || r.state === 'delivered'));
    const failed = (await rig.smsc.submits()).filter((s) => s.status === 0x08).length;
    assert.ok(failed > 0, `the SMSC failed submits for a while (${failed} times)`);
    const byNumber = new Map<string, number[]>();
    for (const r of await rig.smsc.received()) {
      const got = byNumber.get(r.to) ?? [];
      got.push(Number(r.text.split(' ')[1]));
      byNumber.set(r.to, got);
    }
    assert.equal(byNumber.size, NUMBERS);
    const inOrder = Array.from({ length: PER_NUMBER }, (_, i) => i);
    for (const [to, got] of byNumber) assert.deepEqual(got, inOrder, `${to} got its texts in queue order`);
  } finally {
    await q.close();
    await rig.close();
  }
});
