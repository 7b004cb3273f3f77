// Load generator for live fan-out and latency: one group of N live members and a sender, spread over
// several generator processes (bench/load/fanout-worker.ts, each pinned to the generator core with
// taskset; worker 0 also holds the sender). This process only coordinates: it starts the load, takes
// the measured window's counters from every worker and, at the same moments, the CPU time of the server
// and of every generator process from /proc — so each load has a figure that does not depend on the
// generator: server CPU µs per delivery and per accepted message.
//   throughput: the sender keeps up to `inflight` sends outstanding (saturation);
//   latency:    the sender sends at a fixed `rate` messages/s, each in its own frame.
import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAS_TASKSET, type ProcSample, procStat } from '../lib/proc.ts';
import { log, main, mark, readPlan, sleep, summarise } from './common.ts';
import type { FromWorker, ToWorker, WorkerResult } from './fanout-protocol.ts';
import { mono } from './mono.ts';

interface Plan {
  url: string;
  /** Several nodes (the cluster benchmark): generator process k's members connect to urls[k % n]. */
  urls?: string[];
  serverPid: number;
  groupId: number;
  senderToken: string;
  memberTokens: string[];
  slowTokens?: string[];
  mode: 'throughput' | 'latency';
  durationMs: number;
  warmupMs: number;
  inflight: number;
  rate: number;
  bodyBytes: number;
  acks: boolean;
  drainTimeoutMs: number;
  /** Generator processes holding the members (default 3). */
  procs?: number;
  /** The core they are pinned to (default 1). */
  genCore?: number;
  /** With --profile: the server's inspector, profiled over the measured window only, into this file. */
  inspector?: { url: string; file: string };
}

/** The server's own delivery counters (qun_deliveries_total by rung and outcome), outside the window. */
async function serverCounters(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const m of text.matchAll(
      /^qun_(deliveries_total|messages_accepted_total)\{([^}]*)\} ([0-9.e+]+)$/gm,
    )) {
      const labels = [...m[2]!.matchAll(/="([^"]*)"/g)].map((x) => x[1]).join(' ');
      out[`${m[1] === 'deliveries_total' ? 'deliveries' : 'accepted'} ${labels}`] = Number(m[3]);
    }
  } catch {}
  return out;
}

/** Starts the V8 profiler of the server over its inspector; the returned function stops it and saves. */
async function profileServer(url: string, file: string): Promise<() => Promise<void>> {
  const { default: WebSocket } = await import('ws');
  const fs = await import('node:fs');
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let id = 0;
  const pending = new Map<number, (r: unknown) => void>();
  ws.on('message', (d: Buffer) => {
    const m = JSON.parse(d.toString()) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  const call = (method: string, params?: unknown) =>
    new Promise<unknown>((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 500 });
  await call('Profiler.start');
  return async () => {
    const r = (await call('Profiler.stop')) as { profile: unknown };
    fs.writeFileSync(file, JSON.stringify(r.profile));
    ws.close();
  };
}

/** A generator process at or above this share of a core is the limit, not the server. */
export const GEN_PROC_BOUND = 0.85;

class Worker {
  readonly child: ChildProcess;
  readonly #waiting = new Map<number, (m: FromWorker) => void>();
  #next = 0;
  ready: Promise<void>;
  result: Promise<WorkerResult>;

  constructor(file: string, core: number) {
    // Diagnostic: QUN_BENCH_GEN_PROFILE=<dir> profiles the generator processes themselves.
    const prof = process.env.QUN_BENCH_GEN_PROFILE;
    const flags = [
      '--disable-warning=ExperimentalWarning',
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    ];
    // Pinned explicitly (taskset in front of node); the IPC channel's fd survives the exec.
    this.child = HAS_TASKSET
      ? fork(file, [], {
          execPath: 'taskset',
          execArgv: ['-c', String(core), process.execPath, ...flags],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        })
      : fork(file, [], {
          execArgv: flags,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
    let ready: () => void = () => {};
    let failed: (e: Error) => void = () => {};
    let done: (r: WorkerResult) => void = () => {};
    this.ready = new Promise((res, rej) => {
      ready = res;
      failed = rej;
    });
    this.result = new Promise((res, rej) => {
      done = res;
      // 'close' comes after the IPC channel is drained, so a result sent just before exiting is seen.
      this.child.once('close', (code) => rej(new Error(`generator process exited ${code} without a result`)));
    });
    this.result.catch(() => {});
    this.child.once('exit', (code) => failed(new Error(`generator process exited ${code}`)));
    this.child.on('message', (m: FromWorker) => {
      if (m.type === 'ready') ready();
      else if (m.type === 'failed') failed(new Error(m.error));
      else if (m.type === 'result') done(m);
      else this.#waiting.get(m.id)?.(m);
    });
  }

  send(m: ToWorker): void {
    this.child.send(m);
  }

  ask<T extends FromWorker>(type: 'snap' | 'status'): Promise<T> {
    const id = ++this.#next;
    return new Promise((resolve) => {
      this.#waiting.set(id, (m) => {
        this.#waiting.delete(id);
        resolve(m as T);
      });
      this.send({ type, id });
    });
  }
}

interface Snap {
  at: number;
  deliveries: number;
  accepted: number;
  server: ProcSample | undefined;
  gens: (ProcSample | undefined)[];
  load: number;
}

main(async () => {
  const plan = readPlan<Plan>();
  const N = plan.memberTokens.length;
  const K = Math.max(1, Math.min(plan.procs ?? 3, N));
  const core = plan.genCore ?? 1;
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fanout-worker.ts');
  const workers = Array.from({ length: K }, () => new Worker(file, core));
  const t0 = mono();
  try {
    workers.forEach((w, k) => {
      w.send({
        type: 'init',
        init: {
          url: plan.urls?.length ? plan.urls[k % plan.urls.length]! : plan.url,
          groupId: plan.groupId,
          tokens: plan.memberTokens.filter((_, i) => i % K === k),
          slowTokens: k === K - 1 ? (plan.slowTokens ?? []) : [],
          acks: plan.acks,
          ...(k === 0
            ? {
                sender: {
                  token: plan.senderToken,
                  mode: plan.mode,
                  inflight: plan.inflight,
                  rate: plan.rate,
                  bodyBytes: plan.bodyBytes,
                },
              }
            : {}),
        },
      });
    });
    await Promise.all(workers.map((w) => w.ready));
  } catch (e) {
    for (const w of workers) w.child.kill('SIGKILL');
    throw e;
  }
  log(`fanout: ${N} members over ${K} generator processes connected in ${(mono() - t0).toFixed(0)} ms`);
  // Let every connection's catch-up (nothing to read) finish before sending.
  await sleep(300);

  const pids = [...workers.map((w) => w.child.pid!), process.pid];
  const snap = async (): Promise<Snap> => {
    const r = await Promise.all(workers.map((w) => w.ask<Extract<FromWorker, { type: 'snap' }>>('snap')));
    return {
      at: mono(),
      deliveries: r.reduce((n, x) => n + x.deliveries, 0),
      accepted: r[0]!.accepted,
      server: procStat(plan.serverPid),
      gens: pids.map(procStat),
      load: os.loadavg()[0]!,
    };
  };

  const countersBefore = await serverCounters(plan.url);
  const serverAtStart = procStat(plan.serverPid);
  const start = mono();
  const measureFrom = start + plan.warmupMs;
  const stopAt = start + plan.durationMs;
  for (const w of workers)
    w.send({ type: 'start', timing: plan.mode === 'latency', measureFrom, measureTo: stopAt });
  await sleep(Math.max(0, measureFrom - mono()));
  const stopProfile = plan.inspector
    ? await profileServer(plan.inspector.url, plan.inspector.file)
    : undefined;
  const a = await snap();
  await mark('start');
  await sleep(Math.max(0, stopAt - mono()));
  const b = await snap();
  await mark('end');
  await stopProfile?.();
  workers[0]!.send({ type: 'stop' });

  // Drain: every accepted message must reach every member.
  const drainStart = mono();
  let maxSeq = 0;
  let inflight = 0;
  let drained = false;
  while (mono() < drainStart + plan.drainTimeoutMs) {
    const st = await Promise.all(
      workers.map((w) => w.ask<Extract<FromWorker, { type: 'status' }>>('status')),
    );
    maxSeq = st[0]!.maxSeq;
    inflight = st[0]!.inflight;
    if (inflight <= 0 && st.every((x) => x.minLast >= maxSeq)) {
      drained = true;
      break;
    }
    await sleep(5);
  }
  const drainSeconds = (mono() - drainStart) / 1000;
  const serverAtDrained = procStat(plan.serverPid);
  await sleep(100);
  const countersAfter = await serverCounters(plan.url);
  for (const w of workers) w.send({ type: 'finish', maxSeq });
  const results = await Promise.all(workers.map((w) => w.result));

  const seconds = (b.at - a.at) / 1000;
  const deliveriesInWindow = b.deliveries - a.deliveries;
  const acceptedInWindow = b.accepted - a.accepted;
  const serverCpuSec = a.server && b.server ? b.server.cpuSec - a.server.cpuSec : Number.NaN;
  const serverWaitSec = a.server && b.server ? b.server.waitSec - a.server.waitSec : Number.NaN;
  const gens = pids.map((pid, k) => {
    const x = a.gens[k];
    const y = b.gens[k];
    return {
      pid,
      role: k === K ? 'coordinator' : k === 0 ? 'members + sender' : 'members',
      core: x && y ? (y.cpuSec - x.cpuSec) / seconds : Number.NaN,
      waited: x && y ? (y.waitSec - x.waitSec) / seconds : Number.NaN,
    };
  });
  const genTotal = gens.reduce((n, g) => n + (Number.isFinite(g.core) ? g.core : 0), 0);
  const genMax = Math.max(...gens.map((g) => g.core).filter(Number.isFinite));
  // The processes share one core: the core as a whole can be the limit before any one process is.
  const generatorBound = genMax >= GEN_PROC_BOUND || genTotal >= GEN_PROC_BOUND;
  const latencies = results.flatMap((r) => r.latencies);
  const lastBySeq = new Map<number, number>();
  for (const r of results)
    for (const [seq, ms] of r.lastMember) lastBySeq.set(seq, Math.max(lastBySeq.get(seq) ?? 0, ms));
  const sum = (f: (r: WorkerResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const lost = sum((r) => r.lost);
  return {
    members: N,
    mode: plan.mode,
    procs: K,
    accepted: results[0]!.accepted,
    maxSeq,
    sendErrors: results[0]!.sendErrors,
    firstError: results[0]!.firstError,
    deliveries: sum((r) => r.deliveries),
    expectedDeliveries: maxSeq * N,
    seconds,
    deliveriesPerSec: deliveriesInWindow / seconds,
    messagesPerSec: acceptedInWindow / seconds,
    server: {
      core: serverCpuSec / seconds,
      waited: serverWaitSec / seconds,
      usPerDelivery: (serverCpuSec * 1e6) / deliveriesInWindow,
      usPerMessage: (serverCpuSec * 1e6) / acceptedInWindow,
      // Over the whole load, first send → drained, divided by every delivery: not skewed by a window
      // edge falling inside a long event-loop turn (a batch fanned out just before or after it).
      usPerDeliveryWhole:
        serverAtStart && serverAtDrained
          ? ((serverAtDrained.cpuSec - serverAtStart.cpuSec) * 1e6) / sum((r) => r.deliveries)
          : Number.NaN,
    },
    gens,
    genTotal,
    /** The generator's own cost (all its processes), to show its headroom against the server's. */
    genUsPerDelivery: (genTotal * seconds * 1e6) / deliveriesInWindow,
    generatorBound,
    load: { start: a.load, end: b.load },
    // From before the load to after the drain: live sends should equal accepted × (N + 1), nothing
    // should fall to inbox or SMS (ack_timeout).
    serverCounters: Object.fromEntries(
      Object.entries(countersAfter).map(([k, v]) => [k, v - (countersBefore[k] ?? 0)]),
    ),
    drainSeconds,
    drained,
    inflightAtEnd: inflight,
    lost,
    gaps: sum((r) => r.bad),
    duplicates: sum((r) => r.extra),
    closedSockets: sum((r) => r.closed),
    acksSent: sum((r) => r.acksSent),
    // Send → each member's socket, one sample per delivery; and send → the last member, one per message.
    latencyMs: summarise(latencies),
    lastMemberMs: summarise([...lastBySeq.values()]),
    clock: 'CLOCK_MONOTONIC, shared by the sender and every receiving process',
  };
});
