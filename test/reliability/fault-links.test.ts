// Issue 10's fault run, bad links: the same workload as fault-restarts.test.ts with the live clients behind a proxy
// that blackholes every link for 20 s and then lets them resume, or that cuts links at random (flapping).
// QUN_FAULT_SECONDS=120 for the 2-minute run; npm test runs 25 s (blackhole 15 s).
import { test } from 'node:test';
import { assertExactlyOnce, type Fault, faultRun } from '../helpers/fault-run.ts';

const SECONDS = Number(process.env.QUN_FAULT_SECONDS ?? 25);

for (const [fault, block] of [
  ['halfopen', 5305],
  ['flap', 5307],
] as [Fault, number][]) {
  test(`fault run, ${fault === 'halfopen' ? 'half-open proxy (blackhole, then resume)' : 'flapping proxy'} for ${SECONDS} s: every acknowledged message once per member, in order`, {
    timeout: (SECONDS * 3 + 300) * 1000,
  }, async () => {
    assertExactlyOnce(await faultRun({ fault, block, seconds: SECONDS }));
  });
}
