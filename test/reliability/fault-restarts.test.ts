// Issue 10's fault run, restarts: concurrent WS, HTTP and SMS senders into 3 groups of 20 mixed members while the
// server is killed (kill -9) or stopped (SIGTERM) and restarted at random moments; the outside checker then finds
// every acknowledged message delivered exactly once per member (live-new + inbox + SMS), in order.
// QUN_FAULT_SECONDS=120 for the 2-minute run (10 kill -9, 4 SIGTERM); npm test runs 25 s.
import { test } from 'node:test';
import { assertExactlyOnce, type Fault, faultRun } from '../helpers/fault-run.ts';

const SECONDS = Number(process.env.QUN_FAULT_SECONDS ?? 25);
const RESTARTS = process.env.QUN_FAULT_RESTARTS ? Number(process.env.QUN_FAULT_RESTARTS) : undefined;

for (const [fault, block] of [
  ['kill', 5301],
  ['term', 5303],
] as [Fault, number][]) {
  test(`fault run, ${fault === 'kill' ? 'kill -9' : 'SIGTERM'} restarts for ${SECONDS} s: every acknowledged message once per member, in order`, {
    timeout: (SECONDS * 3 + 300) * 1000,
  }, async () => {
    assertExactlyOnce(
      await faultRun({ fault, block, seconds: SECONDS, ...(RESTARTS ? { restarts: RESTARTS } : {}) }),
    );
  });
}
