// A dropped connection with a full window loses nothing: the gateway reconnects and every queued text
// arrives (at least once; duplicates only for the texts in flight when the link went). A hung SMSC is
// found by enquire_link and the link rebuilt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../../src/domain/sms/segments.ts';
import { outbound } from '../../contract/sms-gateway.contract.ts';
import { startRig, until } from './harness.ts';
import { startQueue } from './queue.ts';

test('a connection dropped with a full window: reconnect, nothing lost, duplicates only in flight', async () => {
  // A slow SMSC: the first ten submits wait for their answers, filling the window.
  const rig = await startRig({ smsc: { respondDelayMs: 500 } });
  const texts = Array.from({ length: 40 }, (_, i) => ({
    to: `+86137${String(i).padStart(8, '0')}`,
    from: '106580123456',
    text: `text ${i}`,
  }));
  const q = await startQueue(rig, texts, 0);
  try {
    await until(
      async () => ((await rig.smsc.submits()).length >= 10 ? true : undefined),
      5000,
      'a full window',
    );
    await new Promise((r) => setTimeout(r, 100));
    const inFlight = await rig.smsc.submits();
    assert.equal(inFlight.length, 10, 'no more than QUN_SMPP_WINDOW submits unanswered');
    await rig.smsc.configure({ respondDelayMs: 0 });
    await rig.smsc.drop();

    const rows = await q.drained(20_000);
    assert.ok(rows.every((r) => r.state === 'submitted' || r.state === 'delivered'));
    assert.ok((await rig.smsc.binds()).length >= 2, 'the gateway bound again');

    const count = new Map<string, number>();
    for (const r of await rig.smsc.received()) count.set(r.text, (count.get(r.text) ?? 0) + 1);
    const wasInFlight = new Set(inFlight.map((s) => s.text));
    for (const t of texts) {
      const n = count.get(t.text) ?? 0;
      assert.ok(n >= 1, `${t.text} arrived`);
      if (!wasInFlight.has(t.text)) assert.equal(n, 1, `${t.text} was not in flight: no duplicate`);
    }
  } finally {
    await q.close();
    await rig.close();
  }
});

test('a hung SMSC is detected by enquire_link; the link is rebuilt once it answers again', async () => {
  const rig = await startRig({ env: { QUN_SMPP_ENQUIRE_LINK: '200ms', QUN_SMPP_RESPONSE_TIMEOUT: '300ms' } });
  try {
    await until(
      async () => ((await rig.smsc.stats()).enquireLinks >= 2 ? true : undefined),
      3000,
      'keep-alives',
    );
    await rig.smsc.configure({ faults: { silent: true } });
    await until(() => (rig.gateway.bound ? undefined : true), 3000, 'the link to be declared dead');
    await rig.smsc.configure({ faults: { silent: false } });
    await until(() => (rig.gateway.bound ? true : undefined), 5000, 'a new bind');
    const r = await rig.gateway.submit(outbound('+8613700000999', '106580123456', 'back'), analyze('back'));
    assert.equal(r.outcome, 'submitted');
    assert.ok(rig.log.lines.some((l) => /enquire_link unanswered/.test(l.msg)));
  } finally {
    await rig.close();
  }
});
