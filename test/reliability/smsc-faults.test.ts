// The combined SMSC fault run: throttling, queue-full, lost responses and link resets at once, through the real queue.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxPerWindow } from '../helpers/smsc/smsc.ts';
import { startRig, until } from '../integration/smpp/harness.ts';
import { startQueue } from '../integration/smpp/queue.ts';

const TPS = 100;
const TEXTS = 300;
const WINDOW = 10;
// 20 resets fit in the time budget because reconnects are capped at 1 s; lower it to shorten the run.
const RESETS = Number(process.env.QUN_SMSC_RESETS ?? 20);

test(`${TEXTS} texts at ${TPS} TPS through throttling, queue-full, lost responses and ${RESETS} resets`, async (t) => {
  const rig = await startRig({
    // A 120 ms answer keeps the window full at this TPS, so every reset cuts a full window.
    smsc: { faults: { throttlePct: 30, queueFullPct: 5, dropPct: 1 }, respondDelayMs: 120 },
    env: {
      QUN_SMS_TPS: String(TPS),
      QUN_SMPP_WINDOW: String(WINDOW),
      // Lost responses must time out within the run, and reconnects must not back off for long.
      QUN_SMPP_RESPONSE_TIMEOUT: '1s',
      QUN_SMPP_RECONNECT_MAX: '1s',
    },
  });
  const texts = Array.from({ length: TEXTS }, (_, i) => ({
    to: `+86136${String(i).padStart(8, '0')}`,
    from: '106580123456',
    text: `fault run ${i}: bring water`,
  }));
  const q = await startQueue(rig, texts, TPS);
  try {
    // Resets are spread by submit count, so they land while texts are still going out.
    const spacing = Math.max(WINDOW, Math.floor(TEXTS / (RESETS + 1)));
    let resets = 0;
    let mark = 0;
    while (resets < RESETS && (await q.store.outbound.depth()) > 0) {
      const next = mark + spacing;
      const n = await until(
        async () => {
          const s = (await rig.smsc.submits()).length;
          if (s >= next && rig.gateway.bound) return s;
          return (await q.store.outbound.depth()) === 0 ? -1 : undefined;
        },
        20_000,
        'submits to spread the next reset',
      );
      if (n < 0) break;
      await rig.smsc.drop();
      resets++;
      mark = n;
    }

    const rows = await q.drained(40_000);
    assert.ok(
      rows.every((r) => r.state === 'submitted' || r.state === 'delivered'),
      JSON.stringify(rows.filter((r) => r.state !== 'submitted' && r.state !== 'delivered')),
    );
    assert.ok(resets >= Math.min(RESETS, 5), `the link was reset during the run (${resets} times)`);

    const count = new Map<string, number>();
    for (const r of await rig.smsc.received()) count.set(r.text, (count.get(r.text) ?? 0) + 1);
    let duplicates = 0;
    for (const t of texts) {
      const n = count.get(t.text) ?? 0;
      assert.ok(n >= 1, `${t.text} reached the SMSC`);
      duplicates += n - 1;
    }

    const submits = await rig.smsc.submits();
    const unanswered = submits.filter((s) => s.unanswered).length;
    // An unknown outcome is a lost response or a submit in flight when the link went (at most a window each).
    const unknownBound = unanswered + resets * WINDOW;
    assert.ok(duplicates <= unknownBound, `duplicates ${duplicates} <= unknown outcomes ${unknownBound}`);
    const inDoubt = (await rig.metrics.smsInDoubt.get()).values.reduce((a, v) => a + v.value, 0);
    assert.ok(inDoubt >= duplicates, `qun_sms_in_doubt_total ${inDoubt} counts the ${duplicates} duplicates`);
    assert.ok(inDoubt <= unknownBound, `in-doubt ${inDoubt} only for unknown outcomes (<= ${unknownBound})`);

    const peak = maxPerWindow(submits.map((s) => s.at));
    t.diagnostic(
      `resets ${resets}, submits ${submits.length}, unanswered ${unanswered}, duplicates ${duplicates}, in-doubt ${inDoubt}, peak ${peak}/s`,
    );
    assert.ok(peak <= TPS, `at most ${TPS} submit_sm in any second, saw ${peak}`);
  } finally {
    await q.close();
    await rig.close();
  }
});
