// What every benchmark of bench/run.ts shares: its context, a fresh data dir, a server pinned to core 0,
// a load generator pinned to core 1, and the CPU figures of the measured window.
import path from 'node:path';
import { type BenchServer, cpuBetween, type GenRun, ROOT, runGenerator, startServer } from './proc.ts';
import { type Figure, GEN_BOUND } from './report.ts';
import { tempDir } from './seed.ts';

export const SERVER_CORE = 0;
export const GEN_CORE = 1;

export const say = (s: string) => process.stdout.write(`${s}\n`);

export interface Ctx {
  full: boolean;
  profileDir: string | undefined;
  /** Temp dirs to remove at the end. */
  dirs: string[];
  /** Diagnostic: the server's commits skip fsync (bench/diag/sync-off.ts). */
  syncOff: boolean;
  /** The server counts its PostgreSQL statements (bench/diag/pg-queries.ts). */
  pgQueries?: boolean;
  /** The server samples where it allocates (bench/diag/alloc-sites.ts). */
  allocSites?: boolean;
  /** Node flags of the server process: SERVER_NODE_FLAGS (as `npm start`) unless `--server-flags` says otherwise. */
  serverFlags: readonly string[];
  /** Runs per figure of the fan-out and latency loads (the spread). */
  runs: number;
  /** Generator processes of the fan-out and latency loads. */
  procs: number;
  /** Only these group sizes in the fan-out and latency loads (all when empty). */
  sizes: number[];
}

export interface Bench {
  name: string;
  what: string;
  run(ctx: Ctx): Promise<{ figures: Figure[]; raw: unknown }>;
}

export function dir(ctx: Ctx): string {
  const d = tempDir();
  ctx.dirs.push(d);
  return d;
}

export async function withServer<T>(
  ctx: Ctx,
  dataDir: string,
  env: Record<string, string>,
  ...rest: [fn: (s: BenchServer) => Promise<T>] | [nodeFlags: string[], fn: (s: BenchServer) => Promise<T>]
): Promise<T> {
  const fn = rest.length === 1 ? rest[0] : rest[1];
  const nodeFlags = [
    ...ctx.serverFlags,
    ...(rest.length === 2 ? rest[0] : []),
    ...(ctx.syncOff ? ['--import', path.join(ROOT, 'bench/diag/sync-off.ts')] : []),
    ...(ctx.pgQueries ? ['--import', path.join(ROOT, 'bench/diag/pg-queries.ts')] : []),
    ...(ctx.allocSites ? ['--import', path.join(ROOT, 'bench/diag/alloc-sites.ts')] : []),
  ];
  const s = await startServer({
    dataDir,
    env,
    core: SERVER_CORE,
    ...(ctx.profileDir ? { profileDir: ctx.profileDir } : {}),
    ...(nodeFlags.length ? { nodeFlags } : {}),
  });
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

export function gen(
  name: string,
  planFile: string,
  serverPid: number | undefined,
  timeoutMs: number,
): Promise<GenRun> {
  return runGenerator({ name, planFile, serverPid, core: GEN_CORE, timeoutMs, log: (t) => say(`    ${t}`) });
}

/** CPU of both processes over the generator's start→end marks, and the generator-bound flag. */
export function cpuFigures(
  run: GenRun,
  from = 'start',
  to = 'end',
): Pick<Figure, 'serverCpu' | 'genCpu' | 'generatorBound' | 'serverWait'> {
  const c = cpuBetween(run.marks[from], run.marks[to]);
  return {
    ...(c.server !== undefined ? { serverCpu: c.server } : {}),
    ...(c.gen !== undefined ? { genCpu: c.gen } : {}),
    ...(c.serverWait !== undefined ? { serverWait: c.serverWait } : {}),
    generatorBound: (c.gen ?? 0) >= GEN_BOUND,
  };
}

export const num = (v: unknown) => Number(v);
export const mb = (bytes: number) => bytes / (1024 * 1024);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
