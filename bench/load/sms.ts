// Load generator for SMS throughput: posts group messages to a group of SMS-only members (no live
// connection, no inbox visit: every member's copy goes by SMS) and watches the texts arrive.
//   smpp: this process is the SMSC — it hosts the test SMSC simulator (test/helpers/smsc), tells the
//         runner its port, and once the server has bound, counts every submit_sm as it arrives (with
//         delivery receipts sent back, as a real SMSC does).
//   sim:  the server's simulated gateway writes each text to sim_texts in the transaction that marks it
//         sent; rows are counted read-only from the database, which costs the server nothing.
// The arrival time of each text gives the rate and the most texts in any one-second window (TPS).
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { SmscSim } from '../../test/helpers/smsc/smsc-sim.ts';
import { info, log, main, mark, now, readPlan, sleep, waitForGo } from './common.ts';

interface Plan {
  gateway: 'smpp' | 'sim';
  url?: string;
  dbFile: string;
  senderToken: string;
  groupId: number;
  messages: number;
  expected: number;
  timeoutMs: number;
  tps: number;
}

main(async () => {
  const plan = readPlan<Plan>();
  let url = plan.url ?? '';
  // Arrival times (epoch ms) of every accepted text.
  let times: () => number[];
  let count: () => number;
  let close = () => {};
  let smscSeen = () => ({});
  if (plan.gateway === 'smpp') {
    const sim = new SmscSim();
    await new Promise<void>((r) => sim.server.listen(0, '127.0.0.1', () => r()));
    info({ smscPort: (sim.server.address() as AddressInfo).port });
    url = (await waitForGo<{ url: string }>()).url;
    const accepted = () => sim.records.submits.filter((s) => s.status === 0);
    times = () => accepted().map((s) => s.at);
    count = () => sim.records.submits.length;
    smscSeen = () => ({
      submits: sim.records.submits.length,
      binds: sim.records.binds.length,
      ...sim.stats(),
    });
    close = () => sim.server.close();
  } else {
    const db = new Database(plan.dbFile, { readonly: true, fileMustExist: true });
    const baseId = (db.prepare('SELECT coalesce(max(id), 0) AS m FROM sim_texts').get() as { m: number }).m;
    const n = db.prepare('SELECT count(*) AS n FROM sim_texts WHERE id > ?');
    const at = db.prepare('SELECT at FROM sim_texts WHERE id > ? ORDER BY at');
    times = () => (at.all(baseId) as { at: number }[]).map((r) => r.at);
    count = () => (n.get(baseId) as { n: number }).n;
    close = () => db.close();
  }
  await mark('start');
  const t0 = now();
  const postedAt = performance.timeOrigin + performance.now();
  for (let i = 0; i < plan.messages; i++) {
    const res = await fetch(`${url}/v1/groups/${plan.groupId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.senderToken}` },
      body: JSON.stringify({
        body: `Benchmark notice ${i + 1}: the meeting moves to 3 pm.`,
        clientMsgId: `sms-${i}`,
      }),
    });
    if (res.status !== 201) throw new Error(`post refused: ${res.status} ${await res.text()}`);
  }
  let lastLog = now();
  while (now() - t0 < plan.timeoutMs) {
    if (count() >= plan.expected) break;
    if (now() - lastLog > 5_000) {
      log(`sms: ${count()} of ${plan.expected} texts`);
      lastLog = now();
    }
    await sleep(50);
  }
  await mark('end');
  const ats = times().sort((a, b) => a - b);
  const seen = smscSeen();
  close();
  // Most texts in any window [t, t + 1000 ms).
  let maxInAnySecond = 0;
  for (let i = 0, j = 0; j < ats.length; j++) {
    while (ats[j]! - ats[i]! >= 1000) i++;
    maxInAnySecond = Math.max(maxInAnySecond, j - i + 1);
  }
  const first = ats[0] ?? postedAt;
  const lastAt = ats.at(-1) ?? postedAt;
  const sendSeconds = Math.max(0.001, (lastAt - first) / 1000);
  return {
    gateway: plan.gateway,
    expected: plan.expected,
    sent: ats.length,
    sendSeconds,
    perSec: ats.length > 1 ? (ats.length - 1) / sendSeconds : 0,
    queuedSeconds: (first - postedAt) / 1000,
    maxInAnySecond,
    tps: plan.tps,
    smsc: seen,
  };
});
