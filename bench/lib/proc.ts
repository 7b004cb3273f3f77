// Processes for the benchmarks: the Qun server and the load generator, each pinned to its own core when
// taskset exists, with a raised open-file limit, and their CPU and RSS read from /proc.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const NOFILE = 250_000;

function tryExec(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export const HAS_TASKSET = tryExec('taskset', ['--version']) !== undefined;

/** The open-file limit a spawned process gets (after trying to raise it to NOFILE). */
export function fdLimit(): number {
  return (
    Number(
      tryExec('bash', ['-c', `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n $(ulimit -Hn); ulimit -n`]),
    ) || 1024
  );
}
export const CLK_TCK = Number(tryExec('getconf', ['CLK_TCK']) ?? 100) || 100;
const PAGE = Number(tryExec('getconf', ['PAGESIZE']) ?? 4096) || 4096;

export interface Machine {
  cpus: number;
  cpuModel: string;
  node: string;
  commit: string;
  taskset: boolean;
  kernel: string;
}

export function machine(): Machine {
  const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpus: Number(tryExec('nproc', [])) || 0,
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown',
    node: process.version,
    commit: tryExec('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) ?? 'unknown',
    taskset: HAS_TASKSET,
    kernel: tryExec('uname', ['-r']) ?? 'unknown',
  };
}

export interface ProcSample {
  /** utime+stime of all threads, seconds. */
  cpuSec: number;
  rss: number;
  /** Main thread: seconds spent runnable but waiting for a CPU (contention from other processes). */
  waitSec: number;
}

/** CPU, RSS and run-queue wait of a process from /proc; undefined once it is gone. */
export function procStat(pid: number): ProcSample | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; fields after it are fixed.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): utime is field 14, stime 15, rss 24.
    const utime = Number(f[11]);
    const stime = Number(f[12]);
    const rss = Number(f[21]) * PAGE;
    let waitSec = 0;
    try {
      waitSec = Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
    } catch {}
    return { cpuSec: (utime + stime) / CLK_TCK, rss, waitSec };
  } catch {
    return undefined;
  }
}

export function loadAverage(): number {
  try {
    return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

/** Wraps a node command line: raised fd limit, pinned to `core` when taskset exists, exec'd (same pid). */
function pinned(core: number | undefined, nodeArgs: string[]): { cmd: string; args: string[] } {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const pin = HAS_TASKSET && core !== undefined ? `taskset -c ${core} ` : '';
  const line = `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n $(ulimit -Hn); exec ${pin}${[process.execPath, ...nodeArgs].map(quote).join(' ')}`;
  return { cmd: 'bash', args: ['-c', line] };
}

export const BASE_ENV: Record<string, string> = {
  PORT: '0',
  QUN_HOST: '127.0.0.1',
  QUN_LOG_LEVEL: 'info',
  QUN_SERVICE_NUMBER: '10658',
  QUN_DEFAULT_REGION: 'CN',
  // The load generator opens thousands of sockets from a few loopback addresses.
  QUN_LIVE_MAX_PER_ADDRESS: '1000000',
};

export interface BenchServer {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** performance.timeOrigin-based ms: spawn, and the "listening" log line. */
  spawnedAt: number;
  listeningAt: number;
  stderr(): string;
  stop(): Promise<void>;
}

export const nowMs = () => performance.timeOrigin + performance.now();

/** Starts `node src/main.ts serve` on the data dir; resolves when it logs that it listens. */
/** Brings dist/ up to date as `npm start` does first (scripts/build.ts, which does nothing when it is); returns the entry. */
export function buildDist(): string {
  execFileSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', path.join(ROOT, 'scripts/build.ts')],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return 'dist/main.mjs';
}

export function startServer(opts: {
  dataDir: string;
  env?: Record<string, string>;
  core?: number;
  profileDir?: string;
  nodeFlags?: readonly string[];
  timeoutMs?: number;
  /** How long SIGTERM may take before SIGKILL: a graceful stop waits for queued fan-out and SMS. */
  stopGraceMs?: number;
  /** The script to run, relative to the repository: src/main.ts (default), or dist/main.mjs as `npm start` runs it (see buildDist). */
  entry?: string;
}): Promise<BenchServer> {
  const flags = [
    '--disable-warning=ExperimentalWarning',
    ...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : []),
    ...(opts.nodeFlags ?? []),
  ];
  const { cmd, args } = pinned(opts.core, [...flags, path.join(ROOT, opts.entry ?? 'src/main.ts'), 'serve']);
  const spawnedAt = nowMs();
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...BASE_ENV, QUN_DATA_DIR: opts.dataDir, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      // A profiled server must exit by itself to write its profile.
      const grace = opts.stopGraceMs ?? (opts.profileDir ? 300_000 : 1_000);
      const kill = setTimeout(() => child.kill('SIGKILL'), grace);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`server did not start: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${stderr}`));
    };
    child.once('exit', onExit);
    const onData = (d: Buffer) => {
      buf += d;
      const m = /"listening":"(http:\/\/[^"]+)"/.exec(buf);
      if (!m) {
        if (buf.length > 100_000) buf = buf.slice(-10_000);
        return;
      }
      const listeningAt = nowMs();
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      const url = m[1]!;
      resolve({
        url,
        port: Number(new URL(url).port),
        pid: child.pid!,
        child,
        spawnedAt,
        listeningAt,
        stderr: () => stderr,
        stop,
      });
    };
    child.stdout!.on('data', onData);
  });
}

/** A message from a load generator to the runner. */
export type GenMessage =
  | { type: 'mark'; name: string; id: number }
  | { type: 'info'; data: Record<string, unknown> }
  | { type: 'result'; data: Record<string, unknown> }
  | { type: 'log'; text: string };

export interface Mark {
  at: number;
  server?: ProcSample;
  gen?: ProcSample;
  load?: number;
}

export interface GenRun {
  result: Record<string, unknown>;
  marks: Record<string, Mark>;
  /** Highest RSS seen between the generator's start and its end. */
  maxRss: { server: number; gen: number };
  genPid: number;
}

export interface Generator {
  pid: number;
  /** The first `info` message the generator sent (e.g. the port of the SMSC it hosts). */
  info: Promise<Record<string, unknown>>;
  /** Sends the generator its go-ahead with data (see waitForGo in load/common.ts). */
  go(data: Record<string, unknown>): void;
  done: Promise<GenRun>;
  kill(): void;
}

/**
 * Starts bench/load/<name>.ts with a plan file, pinned to `core`. The generator sends marks (the runner
 * snapshots both processes' CPU and RSS, then answers), optionally info, and one result.
 */
export function startGenerator(opts: {
  name: string;
  planFile: string;
  /** The server's pid, or a getter for a server started after the generator. */
  serverPid: number | undefined | (() => number | undefined);
  core?: number;
  timeoutMs: number;
  log?: (s: string) => void;
}): Generator {
  const { cmd, args } = pinned(opts.core, [
    '--disable-warning=ExperimentalWarning',
    '--max-old-space-size=8192',
    path.join(ROOT, 'bench/load', `${opts.name}.ts`),
    opts.planFile,
  ]);
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const marks: Record<string, Mark> = {};
  const maxRss = { server: 0, gen: 0 };
  const sample = () => {
    const pid = typeof opts.serverPid === 'function' ? opts.serverPid() : opts.serverPid;
    const s = pid ? procStat(pid) : undefined;
    const g = child.pid ? procStat(child.pid) : undefined;
    if (s) maxRss.server = Math.max(maxRss.server, s.rss);
    if (g) maxRss.gen = Math.max(maxRss.gen, g.rss);
    return { s, g };
  };
  const sampler = setInterval(sample, 200);
  let onInfo: (d: Record<string, unknown>) => void = () => {};
  let infoFailed: (e: Error) => void = () => {};
  const info = new Promise<Record<string, unknown>>((resolve, reject) => {
    onInfo = resolve;
    infoFailed = reject;
  });
  info.catch(() => {});
  const done = new Promise<GenRun>((resolve, reject) => {
    let result: Record<string, unknown> | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`generator ${opts.name} timed out after ${opts.timeoutMs} ms: ${stderr.slice(-2000)}`),
      );
    }, opts.timeoutMs);
    child.on('message', (m: GenMessage) => {
      if (m.type === 'mark') {
        const { s, g } = sample();
        marks[m.name] = {
          at: nowMs(),
          load: loadAverage(),
          ...(s ? { server: s } : {}),
          ...(g ? { gen: g } : {}),
        };
        child.send({ type: 'marked', id: m.id });
      } else if (m.type === 'info') {
        onInfo(m.data);
      } else if (m.type === 'result') {
        result = m.data;
      } else if (m.type === 'log') {
        opts.log?.(m.text);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      const err = new Error(
        `generator ${opts.name} exited ${code ?? signal} without a result: ${stderr.slice(-3000)}`,
      );
      infoFailed(err);
      if (result) resolve({ result, marks, maxRss, genPid: child.pid! });
      else reject(err);
    });
  });
  return {
    pid: child.pid!,
    info,
    done,
    go: (data) => child.send({ type: 'go', data }),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export function runGenerator(opts: Parameters<typeof startGenerator>[0]): Promise<GenRun> {
  return startGenerator(opts).done;
}

/**
 * CPU use of both processes between two marks, as a fraction of one core, and the fraction of the
 * window the server's main thread sat runnable but not running (other processes on its core).
 */
export function cpuBetween(
  a: Mark | undefined,
  b: Mark | undefined,
): { server?: number; gen?: number; serverWait?: number } {
  if (!a || !b) return {};
  const wall = (b.at - a.at) / 1000;
  if (wall <= 0) return {};
  const out: { server?: number; gen?: number; serverWait?: number } = {};
  if (a.server && b.server) {
    out.server = (b.server.cpuSec - a.server.cpuSec) / wall;
    out.serverWait = (b.server.waitSec - a.server.waitSec) / wall;
  }
  if (a.gen && b.gen) out.gen = (b.gen.cpuSec - a.gen.cpuSec) / wall;
  return out;
}
