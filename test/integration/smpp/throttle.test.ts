// 30% ESME_RTHROTTLED: 200 texts through Qun's real queue all get through exactly once, the throttled
// parts are retried, and the SMSC never sees more submit_sm than QUN_SMS_TPS in any one-second window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxPerWindow } from '../../helpers/smsc/smsc.ts';
import { startRig } from './harness.ts';
import { startQueue } from './queue.ts';

const TPS = 50;

test('200 texts at 50 TPS through 30% throttling: each once, never above the TPS', async () => {
  const rig = await startRig({ smsc: { faults: { throttlePct: 30 } }, env: { QUN_SMS_TPS: String(TPS) } });
  const texts = Array.from({ length: 200 }, (_, i) => ({
    to: `+86139${String(i).padStart(8, '0')}`,
    from: '106580123456',
    text: `notice ${i}: the hike starts at 8`,
  }));
  const q = await startQueue(rig, texts, TPS);
  try {
    const rows = await q.drained(30_000);
    assert.ok(
      rows.every((r) => r.state === 'submitted' || r.state === 'delivered'),
      JSON.stringify(rows.filter((r) => r.state === 'failed')),
    );

    const received = await rig.smsc.received();
    const count = new Map<string, number>();
    for (const r of received) count.set(r.text, (count.get(r.text) ?? 0) + 1);
    for (const t of texts) assert.equal(count.get(t.text), 1, `${t.text} arrived once`);
    assert.equal(received.length, 200);

    const submits = await rig.smsc.submits();
    const throttled = submits.filter((s) => s.status === 0x58).length;
    assert.ok(throttled > 20, `the SMSC throttled (${throttled} times)`);
    const metric = (await rig.metrics.throttled.get()).values.find((v) => v.labels.gateway === 'smpp');
    assert.equal(metric?.value, throttled, 'every throttle event is counted');
    const peak = maxPerWindow(submits.map((s) => s.at));
    assert.ok(peak <= TPS, `at most ${TPS} submit_sm in any second, saw ${peak}`);
  } finally {
    await q.close();
    await rig.close();
  }
});
