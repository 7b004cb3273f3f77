// The cluster benchmark (issue 13): 3 Qun nodes on one PostgreSQL and one Redis (throwaway instances), one group
// of 1,000 live members spread round-robin over the nodes, the sender on node-a. Two runs of the fan-out load
// generator (bench/load/fanout.ts): throughput (up to 1,000 sends in flight) and latency at a fixed rate. Prints
// deliveries/s and send → socket latency p50/p99 (and send → last member); no test asserts on them. By hand:
//   node bench/cluster.ts [--nodes 3] [--members 1000] [--seconds 5] [--rate 20] [--warmup 1]
//   (--nodes 1: the same on one node; --warmup 5: the load's first seconds, while the connections are
//   younger than the 2 s settle time and read the log themselves, left out of the figures)
// or through the suite: node bench/run.ts --only cluster
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../test/helpers/cluster.ts';
import { type GenRun, loadAverage, procStat, runGenerator } from './lib/proc.ts';
import type { Figure } from './lib/report.ts';
import { tempDir, writePlan } from './lib/seed.ts';
import { seedGroupsOnPostgres } from './lib/seed-postgres.ts';

export interface ClusterBenchOptions {
  /** 3 by default; 1 gives the same load on one node (PostgreSQL and Redis alike), to compare. */
  nodes?: number;
  members: number;
  seconds: number;
  /** Messages per second in the latency run. */
  rate: number;
  /** Seconds of load before the measured window (default 1). */
  warmupSeconds?: number;
  log?: (s: string) => void;
}

export interface ClusterBenchRun {
  mode: 'throughput' | 'latency';
  result: Record<string, unknown>;
  /** CPU of the three nodes together over the run, in cores. */
  nodesCpu: number;
  load: number;
}

export interface ClusterBenchResult {
  nodes: number;
  members: number;
  perNode: number[];
  runs: ClusterBenchRun[];
}

const NODE_ENV: Record<string, string> = {
  // The generator holds a thousand sockets from one loopback address.
  QUN_LIVE_MAX_PER_ADDRESS: '1000000',
  // Nothing may fall to SMS while members on other nodes wait for their frames: this measures live fan-out.
  QUN_LIVE_ACK_TIMEOUT: '60s',
};

async function measured(
  cluster: Cluster,
  fn: () => Promise<GenRun>,
): Promise<{ run: GenRun; nodesCpu: number; load: number }> {
  const pids = cluster.nodes.map((n) => n.child?.pid).filter((p): p is number => p !== undefined);
  const cpu = () => pids.reduce((s, p) => s + (procStat(p)?.cpuSec ?? 0), 0);
  const t0 = performance.now();
  const c0 = cpu();
  const run = await fn();
  return { run, nodesCpu: (cpu() - c0) / ((performance.now() - t0) / 1000), load: loadAverage() };
}

export async function clusterBench(o: ClusterBenchOptions): Promise<ClusterBenchResult> {
  const log = o.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  // A group per run: the second run's members must not start with the first one's backlog.
  const seeded = await seedGroupsOnPostgres(2, o.members + 1);
  const nodes = o.nodes ?? 3;
  const cluster = await Cluster.start({ nodes, databaseUrl: seeded.url, env: NODE_ENV });
  const dir = tempDir('qun-bench-cluster-');
  const urls = cluster.nodes.map((n) => n.url);
  const perNode = urls.map((_, i) => Math.floor((o.members + urls.length - 1 - i) / urls.length));
  log(
    `  ${nodes} node(s) (${cluster.nodes.map((n) => n.id).join(', ')}), ${o.members} members: ${perNode.join('/')} per node`,
  );
  const runs: ClusterBenchRun[] = [];
  try {
    for (const [g, mode] of (['throughput', 'latency'] as const).entries()) {
      const [sender, ...members] = seeded.members.slice(g * (o.members + 1), (g + 1) * (o.members + 1));
      const plan = writePlan(dir, `cluster-${mode}`, {
        url: urls[0],
        // Three generator processes; process k's members connect to node k (mod the node count).
        urls,
        procs: 3,
        serverPid: cluster.nodes[0]!.child?.pid,
        groupId: sender!.groupId,
        senderToken: sender!.token,
        memberTokens: members.map((m) => m.token),
        mode,
        // The window stays `seconds` − 1 s whatever the warm-up: more warm-up only starts it later.
        durationMs: (o.seconds + (o.warmupSeconds ?? 1) - 1) * 1000,
        warmupMs: (o.warmupSeconds ?? 1) * 1000,
        inflight: 1000,
        rate: o.rate,
        bodyBytes: 200,
        acks: true,
        drainTimeoutMs: 15_000,
      });
      const { run, nodesCpu, load } = await measured(cluster, () =>
        runGenerator({
          name: 'fanout',
          planFile: plan,
          serverPid: cluster.nodes[0]!.child?.pid,
          timeoutMs: 300_000 + (o.seconds + (o.warmupSeconds ?? 1)) * 2000,
          log: (t) => log(`    ${t}`),
        }),
      );
      runs.push({ mode, result: run.result, nodesCpu, load });
      log(`  ${describe(runs.at(-1)!, o.members)}`);
    }
  } finally {
    await cluster.close();
  }
  return { nodes, members: o.members, perNode, runs };
}

type Latency = { n: number; p50: number; p99: number; max: number };

/** One line per run: what the issue asks for (fan-out deliveries/s, latency p50/p99) and what makes them honest. */
export function describe(r: ClusterBenchRun, members: number): string {
  const x = r.result;
  const lat = x.latencyMs as Latency;
  const last = x.lastMemberMs as Latency;
  const f = (v: unknown, d = 0) => Number(v).toLocaleString('en-US', { maximumFractionDigits: d });
  const latency = lat.n
    ? `send → socket p50 ${f(lat.p50, 1)} ms, p99 ${f(lat.p99, 1)} ms (${f(lat.n)} deliveries); send → last member p50 ${f(last.p50, 1)} ms, p99 ${f(last.p99, 1)} ms`
    : r.mode === 'throughput'
      ? 'latency not timed at saturation (see the fixed-rate run)'
      : 'latency n/a: no delivery in the window';
  return (
    `${r.mode}: ${f(x.deliveriesPerSec)} deliveries/s (${f(x.messagesPerSec, 1)} msg/s × ${members} members), ${latency}; ` +
    `${f(x.deliveries)} of ${f(x.expectedDeliveries)} delivered, ${x.lost} ${x.drained ? 'lost' : 'undelivered when the drain ended'}, ` +
    `${x.sendErrors} send errors; nodes ${r.nodesCpu.toFixed(2)} cores together, load ${r.load}`
  );
}

/** For bench/run.ts (`--only cluster`): the runs as the suite's figures; no target, they are for sizing. */
export async function clusterSuite(
  full: boolean,
  log: (s: string) => void,
): Promise<{ figures: Figure[]; raw: unknown }> {
  const members = 1000;
  const r = await clusterBench({ members, seconds: full ? 15 : 5, rate: 20, log });
  const n = members.toLocaleString('en-US');
  const figures = r.runs.map((run): Figure => {
    const x = run.result;
    const lat = x.latencyMs as Latency;
    const common = { bench: 'cluster', target: 'none (for sizing)', notes: describe(run, members) };
    return run.mode === 'throughput'
      ? {
          ...common,
          metric: `deliveries/s, 3 nodes, N=${n}`,
          value: Number(x.deliveriesPerSec),
          unit: '/s',
          met: Number(x.lost) === 0 && x.drained === true,
        }
      : {
          ...common,
          metric: `p99 send→socket, 3 nodes, N=${n}`,
          value: lat.n ? lat.p99 : Number.NaN,
          unit: 'ms',
          met: Number(x.lost) === 0 && lat.n > 0,
        };
  });
  return { figures, raw: r };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = {
    nodes: arg('nodes', 3),
    members: arg('members', 1000),
    seconds: arg('seconds', 5),
    rate: arg('rate', 20),
    warmupSeconds: arg('warmup', 1),
  };
  process.stdout.write(
    `cluster benchmark: ${o.nodes} node(s), one PostgreSQL, one Redis, ${o.members} members, ${o.seconds} s per run after ${o.warmupSeconds} s of warm-up; load ${loadAverage()}\n`,
  );
  clusterBench(o).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
