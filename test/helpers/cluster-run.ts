// Issue 13's cluster run: three Qun nodes on one PostgreSQL and one Redis; WS, HTTP and SMS senders into 3 groups
// of 20 members on every rung (live clients spread over the nodes, web-inbox members pulling from any node, members
// who read their inbox rarely and earn reminders, SMS-only members) while one node is SIGKILLed (and restarted),
// Redis is restarted, and another node is stopped with SIGTERM (and restarted). Then the outside checker counts
// every delivery per member (live-new + inbox + SMS), and the database is read for texts, reminders and seqs.
import type { QunClient } from '../../src/client/qun-client.ts';
import { DeliveryChecker, formatReport, type Report } from './checker.ts';
import { Cluster, type StopResult } from './cluster.ts';
import { type ClusterDbReport, checkClusterDb, textTrace } from './cluster-db.ts';
import { eventually } from './server.ts';
import {
  addMembers,
  createGroup,
  drainInbox,
  type GroupRef,
  groupSenders,
  history,
  phone,
  pullInbox,
  RawWs,
  recordLive,
  SIGNIN_ENV,
  SmsCollector,
  signIn,
  sleep,
} from './workload.ts';

export const CLUSTER_ACK_TIMEOUT_MS = 5000;
const REMINDER_DELAY_MS = 2000;
/** A dead node's claimed work (texts in flight, due reminders) is taken over this long after it died. */
const LEASE_MS = 6000;
/** Short timers, so that a run of a minute sees fall-throughs, reminders, expired presence and taken-over leases. */
export const CLUSTER_ENV: Record<string, string> = {
  ...SIGNIN_ENV,
  QUN_LIVE_ACK_TIMEOUT: `${CLUSTER_ACK_TIMEOUT_MS}ms`,
  QUN_LIVE_HEARTBEAT: '2s',
  QUN_WEB_ONLINE_TTL: '8s',
  QUN_REMINDER_DELAY: `${REMINDER_DELAY_MS}ms`,
  QUN_REMINDER_SCAN_INTERVAL: '500ms',
  QUN_LEASE: `${LEASE_MS}ms`,
};
const GROUPS = 3;
// 'lazy': a web-inbox member who pulls every 5–7 s, so items wait past the reminder delay (reminders by SMS).
const KINDS = ['live', 'live', 'live', 'inbox', 'inbox', 'lazy', 'sms'] as const;
const PER_GROUP = 19; // + the owner: 20 members

interface Member {
  phone: string;
  kind: (typeof KINDS)[number] | 'owner';
  group: GroupRef;
  token?: string;
  client?: QunClient;
}

export interface ClusterRunResult {
  report: Report;
  db: ClusterDbReport;
  figures: string;
  table: string;
  /** What was done, in order (`kill node-b`, `restart node-b`, …). */
  faults: string[];
  sigterm: StopResult & { node: string; closeCodes: number[]; rawClose: number | undefined; log: string };
  inDoubt: number;
}

/** `nodes` (default 3): 1 runs the same script on one node (the faults all hit it), to check the harness itself. */
export async function clusterRun(o: {
  block: number;
  seconds: number;
  nodes?: number;
}): Promise<ClusterRunResult> {
  const runMs = o.seconds * 1000;
  const n = o.nodes ?? 3;
  const cluster = await Cluster.start({ nodes: n, env: CLUSTER_ENV });
  const killed = Math.min(1, n - 1);
  const termed = Math.min(2, n - 1);
  const checker = new DeliveryChecker();
  checker.ackTimeoutMs = CLUSTER_ACK_TIMEOUT_MS;
  checker.serverStarted();
  const A = () => cluster.api();
  const clients: QunClient[] = [];
  const faults: string[] = [];
  let polling = true;
  const startedAt = Date.now();
  try {
    const members: Member[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const owner = phone(o.block, g * 100);
      const ownerToken = await signIn(A(), owner);
      const group = await createGroup(A(), ownerToken, `Cluster ${g}`);
      members.push({ phone: owner, kind: 'owner', group, token: ownerToken });
      const mine: Member[] = Array.from({ length: PER_GROUP }, (_, i) => ({
        phone: phone(o.block + 1, g * 100 + i),
        kind: KINDS[i % KINDS.length]!,
        group,
      }));
      const app = mine.filter((m) => m.kind !== 'sms');
      for (let i = 0; i < app.length; i += 10)
        await Promise.all(
          app.slice(i, i + 10).map(async (m) => Object.assign(m, { token: await signIn(A(), m.phone) })),
        );
      await addMembers(
        A(),
        ownerToken,
        group.id,
        mine.map((m) => m.phone),
      );
      members.push(...mine);
    }
    const sms = new SmsCollector(A, checker);
    for (const m of members) {
      checker.member(m.phone, [{ groupId: m.group.id }]);
      await sms.mark(m.phone);
    }
    // Live clients start round-robin over the nodes, and move to another node whenever their socket closes.
    const live = members.filter((m) => m.kind === 'live');
    for (let i = 0; i < live.length; i += 10)
      await Promise.all(
        live.slice(i, i + 10).map(async (m) => {
          m.client = cluster.client(m.token!);
          clients.push(m.client);
          recordLive(checker, m.phone, m.client);
          await m.client.connect();
        }),
      );
    const spread = cluster.nodes.map((n) => clients.filter((c) => c.baseUrl === n.url).length);
    const pollers = members
      .filter((m) => m.kind === 'inbox' || m.kind === 'lazy')
      .map(async (m) => {
        while (polling) {
          await pullInbox(A(), m.token!, checker, m.phone).catch(() => undefined);
          await sleep(m.kind === 'lazy' ? 5000 + Math.random() * 2000 : 300 + Math.random() * 600);
        }
      });

    // Senders per group: the owner over HTTP (any node), an SMS-only member by text, a live member on its socket.
    const t0 = Date.now();
    const setupMs = t0 - startedAt;
    let faultsDone = false;
    let lastUp = t0;
    const stop = () => Date.now() - t0 > runMs && faultsDone && Date.now() - lastUp > 4000;
    const deadline = t0 + 3 * runMs + 60_000;
    const groups = [...new Set(members.map((m) => m.group))];
    const sending = Promise.all(
      groupSenders(members, A, checker, { count: 100_000, intervalMs: 400, stop, deadline }),
    );

    // The faults, at fixed fractions of the run.
    const at = (f: number) => sleep(Math.max(0, t0 + f * runMs - Date.now()));
    const note = (s: string) => faults.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`);
    await at(0.2);
    await cluster.kill(killed, 'SIGKILL');
    note(`SIGKILL ${cluster.nodes[killed]!.id}`);
    await at(0.4);
    let startT = Date.now();
    await cluster.restart(killed);
    // One node: its restart is the server start the checker's two-generals rule counts from. Several: nobody's
    // server restarted, the members moved on to another node.
    if (n === 1) checker.serverStarted();
    note(`restarted ${cluster.nodes[killed]!.id} (start took ${Date.now() - startT} ms)`);
    await at(0.5);
    await cluster.restartRedis(1500);
    note('restarted Redis (down 1.5 s)');
    await at(0.7);
    // A raw socket on the node about to stop, besides the clients already there: its close code is the proof.
    const victim = cluster.nodes[termed]!;
    const raw = new RawWs(victim.url);
    await raw.auth(members.find((m) => m.kind === 'live')!.token!);
    const termAt = Date.now();
    const stopped = await cluster.kill(termed, 'SIGTERM');
    note(
      `SIGTERM ${victim.id}: exit after ${stopped.exitMs} ms (code ${stopped.code}, signal ${stopped.signal})`,
    );
    const rawClose = await Promise.race([raw.closed.then((c) => c.code), sleep(1000).then(() => undefined)]);
    raw.close();
    // The first close each client saw on the stopping node (a client that came back to it anyway has a second).
    const first = new Map<number, number>();
    for (const c of cluster.closes)
      if (c.node === victim.id && c.at >= termAt && !first.has(c.client)) first.set(c.client, c.code);
    const closeCodes = [...first.values()];
    await at(0.85);
    const stopLog = victim.log.slice(-4000);
    startT = Date.now();
    await cluster.restart(termed);
    if (n === 1) checker.serverStarted();
    note(`restarted ${victim.id} (start took ${Date.now() - startT} ms)`);
    lastUp = Date.now();
    faultsDone = true;
    await sending;
    const ranMs = Date.now() - t0;
    const settleFrom = Date.now();

    // Settle: live members caught up, every ack timeout and reminder delay passed, inboxes drained, texts collected.
    const owners = members.filter((m) => m.kind === 'owner');
    const lastSeq = new Map<number, number>();
    for (const own of owners)
      lastSeq.set(
        own.group.id,
        (await A().req('GET', `/v1/groups/${own.group.id}`, undefined, own.token)).json.lastSeq as number,
      );
    await eventually(
      () =>
        members.every(
          (m) =>
            !m.client ||
            (m.client.connected && m.client.streams.lastContiguous(m.group.id) >= lastSeq.get(m.group.id)!),
        )
          ? true
          : undefined,
      60_000,
      'live members caught up',
    ).catch(() => undefined);
    polling = false;
    await Promise.all(pollers);
    await sleep(Math.max(CLUSTER_ACK_TIMEOUT_MS + REMINDER_DELAY_MS, LEASE_MS) + 2000);
    await eventually(
      async () => {
        for (const m of members) {
          if (m.token && m.kind !== 'owner') await drainInbox(A(), m.token, checker, m.phone);
          await sms.collect(m.phone);
        }
        return checker.report().totals.lost === 0 ? true : undefined;
      },
      30_000,
      'every member has every message',
    ).catch(() => undefined);
    await sleep(1000);
    for (const m of members) await sms.collect(m.phone);
    for (const g of groups) {
      const own = owners.find((x) => x.group === g)!;
      checker.learnLog(g.id, await history(A(), own.token!, g.id));
    }
    const report = checker.report();
    const settleMs = Date.now() - settleFrom;
    const db = await checkClusterDb(cluster.db());
    const t = report.totals;
    const kindOf = new Map(members.map((m) => [m.phone, m.kind]));
    const textsTo = (kind: Member['kind']) =>
      report.members.filter((m) => kindOf.get(m.member) === kind).reduce((n, m) => n + m.byChannel.sms, 0);
    const figures =
      `cluster run ${o.seconds}s (setup ${Math.round(setupMs / 1000)} s, ran ${Math.round(ranMs / 1000)} s, settled in ${Math.round(settleMs / 1000)} s; ` +
      `live clients per node ${spread.join('/')}): ` +
      `${report.accepted} messages acknowledged (${checker.inDoubtCount} unknown outcome), ${t.lost} lost, ` +
      `${t.duplicated} duplicated, ${t.twoGenerals} two-generals, ${t.outOfOrder} out of order, ` +
      `${report.storedTwice.length} stored twice, ${t.marked} via-marked copies, ${textsTo('inbox')} texts to ` +
      `web-inbox and ${textsTo('live')} to live members; ${db.summary}; faults: ${faults.join(', ')}`;
    // "seq 15 after 21 (sms)": the member's texts and decisions from 15 to 21, to see which was late.
    const traces: string[] = [];
    for (const m of report.members)
      for (const o of m.outOfOrder) {
        const x = /seq (\d+) after (\d+) \(sms\)/.exec(o);
        if (x)
          traces.push(
            await textTrace(cluster.db(), m.member, Number(x[1]), Number(x[2])).catch((e) => `trace: ${e}`),
          );
      }
    return {
      report,
      db,
      figures,
      table: [formatReport('cluster run', report), ...traces].join('\n'),
      faults,
      sigterm: { ...stopped, node: victim.id, closeCodes, rawClose, log: stopLog },
      inDoubt: checker.inDoubtCount,
    };
  } finally {
    polling = false;
    for (const c of clients) c.close();
    await cluster.close();
  }
}
