// The load generator's side of the runner protocol (IPC): read the plan, mark moments (the runner
// snapshots CPU and RSS of both processes), hand back one result. Plus the WebSocket client helpers.
import fs from 'node:fs';
import WebSocket from 'ws';

export function readPlan<T>(): T {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node bench/load/<name>.ts <plan.json>');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

let markId = 0;
const waiting = new Map<number, () => void>();
let goData: Record<string, unknown> | undefined;
let onGo: ((d: Record<string, unknown>) => void) | undefined;
process.on('message', (m: { type: string; id: number; data: Record<string, unknown> }) => {
  if (m.type === 'marked') {
    waiting.get(m.id)?.();
    waiting.delete(m.id);
  } else if (m.type === 'go') {
    goData = m.data;
    onGo?.(m.data);
  }
});

/** Tells the runner something it needs before it can go on (e.g. the port of a simulator we host). */
export function info(data: Record<string, unknown>): void {
  process.send?.({ type: 'info', data });
}

/** Waits for the runner's go-ahead (sent once it has started the server) and its data. */
export function waitForGo<T>(): Promise<T> {
  if (goData) return Promise.resolve(goData as T);
  return new Promise((resolve) => {
    onGo = (d) => resolve(d as T);
  });
}

/** Asks the runner to snapshot both processes now; resolves once it has. */
export function mark(name: string): Promise<void> {
  if (!process.send) return Promise.resolve();
  const id = ++markId;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    process.send!({ type: 'mark', name, id });
  });
}

export function log(text: string): void {
  if (process.send) process.send({ type: 'log', text });
  else process.stderr.write(`${text}\n`);
}

export async function finish(data: Record<string, unknown>): Promise<never> {
  if (process.send) await new Promise<void>((r) => process.send!({ type: 'result', data }, () => r()));
  else process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  process.exit(0);
}

export function main(run: () => Promise<Record<string, unknown>>): void {
  run().then(finish, (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}

export const now = () => performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarise(values: number[]): {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
} {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1]! : Number.NaN,
    mean: s.length ? sum / s.length : Number.NaN,
  };
}

export interface Ready {
  t: 'ready';
  user: { id: number };
  groups: { g: number; lastSeq: number; ackedSeq: number }[];
}

/**
 * Opens an authenticated live connection: resolves with the socket and its ready frame. `onData`
 * receives every later WebSocket frame as a string (several server frames may share one, "\n"-separated).
 */
export function connectLive(
  url: string,
  token: string,
  onData: (data: string) => void,
  opts: { localAddress?: string; timeoutMs?: number } = {},
): Promise<{ ws: WebSocket; ready: Ready }> {
  const wsUrl = `${url.replace(/^http/, 'ws')}/v1/ws`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    let ready = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('live connection timed out'));
    }, opts.timeoutMs ?? 30_000);
    ws.on('open', () => ws.send(JSON.stringify({ t: 'auth', token })));
    ws.on('message', (data: Buffer) => {
      const s = data.toString();
      if (ready) {
        onData(s);
        return;
      }
      const nl = s.indexOf('\n');
      const first = nl < 0 ? s : s.slice(0, nl);
      const f = JSON.parse(first) as { t: string };
      if (f.t !== 'ready') {
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(`expected ready, got ${first.slice(0, 200)}`));
        return;
      }
      ready = true;
      clearTimeout(timer);
      resolve({ ws, ready: f as Ready });
      if (nl >= 0) onData(s.slice(nl + 1));
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      if (!ready) reject(e);
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`closed before ready: ${code} ${reason}`));
    });
  });
}

/** Runs `fn` over items with at most `limit` at once. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  fn: (t: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Reads a non-negative integer written at s[i...]. */
export function intAt(s: string, i: number): number {
  let n = 0;
  for (;;) {
    const c = s.charCodeAt(i++);
    if (c < 48 || c > 57) return n;
    n = n * 10 + (c - 48);
  }
}

/** Body of `bytes` characters that starts with the send time (performance.now() ms) and a space. */
export function timedBody(bytes: number): string {
  const t = now().toFixed(3);
  return t + ' ' + 'x'.repeat(Math.max(1, bytes - t.length - 1));
}
