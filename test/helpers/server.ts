// Starts a real Qun server for a test: a fresh temp data dir (a real SQLite file), port 0 on loopback,
// in-process or as a child process (for crash tests). Every server is closed by the test that made it.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { freshDatabase } from './postgres.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function tempDir(prefix = 'qun-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export const BASE_ENV: Record<string, string> = {
  PORT: '0',
  QUN_HOST: '127.0.0.1',
  QUN_LOG_LEVEL: 'silent',
  QUN_SERVICE_NUMBER: '10658',
  QUN_DEFAULT_REGION: 'CN',
};

/**
 * QUN_TEST_STORE=postgres runs every server a test starts on a fresh PostgreSQL database (a throwaway
 * local server) instead of a SQLite file: `QUN_TEST_STORE=postgres npm run test:unit` runs the whole
 * suite against the second engine.
 */
export async function storeEnv(dataDir?: string): Promise<Record<string, string>> {
  if (process.env.QUN_TEST_STORE !== 'postgres') return {};
  // A server restarted on the same data dir (crash tests) finds the same database again.
  const known = dataDir === undefined ? undefined : databaseOf.get(dataDir);
  const url = known ?? (await freshDatabase());
  if (dataDir !== undefined) databaseOf.set(dataDir, url);
  return { QUN_DATABASE_URL: url };
}
const databaseOf = new Map<string, string>();

export interface TestServer extends RunningServer {
  dataDir: string;
  api: Api;
}

export async function startTestServer(
  env: Record<string, string> = {},
  extra: Partial<Parameters<typeof startServer>[0]> = {},
  /** `sqliteFile`: the test reads qun.db itself, so the server stays on SQLite under QUN_TEST_STORE. */
  opts: { sqliteFile?: boolean } = {},
): Promise<TestServer> {
  const dataDir = env.QUN_DATA_DIR ?? tempDir();
  const store = opts.sqliteFile ? {} : await storeEnv(dataDir);
  const config = loadConfig({ ...BASE_ENV, QUN_DATA_DIR: dataDir, ...store, ...env });
  const s = await startServer({ config, ...extra });
  config.publicUrl = s.url;
  return Object.assign(s, { dataDir, api: new Api(s.url) });
}

/** The code in a sign-in text (English or Chinese reply), and nothing else with six digits in it. */
export const SIGNIN_CODE = /(?:sign-in code is |登录验证码：)(\d{6})/;

/** Minimal HTTP helper over real sockets. */
export class Api {
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  async req(
    method: string,
    p: string,
    body?: unknown,
    token?: string,
    // biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field; each asserts what it needs
  ): Promise<{ status: number; json: any }> {
    const res = await fetch(this.url + p, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: see req()
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }
  /** A text from a simulated phone; resolves once Qun answered 202. */
  async sms(from: string, to: string, text: string, id?: string): Promise<string> {
    const r = await this.req('POST', '/v1/sim/sms', { from, to, text, ...(id ? { id } : {}) });
    if (r.status !== 202) throw new Error(`sim sms refused: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.outcome;
  }
  /** Texts Qun sent to a simulated phone. */
  async texts(phone: string): Promise<{ from: string; to: string; text: string; at: number }[]> {
    const r = await this.req('GET', `/v1/sim/sms?phone=${encodeURIComponent(phone)}`);
    if (r.status !== 200) throw new Error(`sim read failed: ${r.status}`);
    return r.json.messages;
  }
  /** Signs a phone in through the SMS code flow, reading the code from the simulated phone. */
  async signIn(phone: string, settle: () => Promise<void>): Promise<string> {
    const before = (await this.texts(phone)).length;
    const c = await this.req('POST', '/v1/auth/code', { phone });
    if (c.status !== 202) throw new Error(`code refused: ${c.status} ${JSON.stringify(c.json)}`);
    await settle();
    const texts = await this.texts(phone);
    const code = texts
      .slice(before)
      .map((t) => SIGNIN_CODE.exec(t.text)?.[1])
      .findLast((c) => c !== undefined);
    if (!code) throw new Error('no code text arrived');
    const t = await this.req('POST', '/v1/auth/token', { phone, code });
    if (t.status !== 200) throw new Error(`sign-in failed: ${t.status}`);
    return t.json.token;
  }
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Everything the server wrote (its JSON log, then stderr), for a failure's diagnostics. */
  output(): string;
}

/**
 * Runs `node src/main.ts serve` as a child process on the given data dir; resolves when it listens.
 * `entry` runs something else the same way: the production build as `npm start` runs it, say.
 */
export async function spawnServer(
  dataDir: string,
  env: Record<string, string> = {},
  entry: readonly string[] = [path.join(ROOT, 'src/main.ts')],
): Promise<ChildServer> {
  const store = await storeEnv(dataDir);
  const child = spawn(process.execPath, [...entry, 'serve'], {
    env: { ...process.env, ...BASE_ENV, QUN_LOG_LEVEL: 'info', QUN_DATA_DIR: dataDir, ...store, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    // Generous: on a loaded 2-core machine a start can take seconds. A child that does not start in time
    // is killed, so that no server outlives the test that made it (and keeps its process from exiting).
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s: ${stderr}`));
    }, 60_000);
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`)));
    child.stdout!.on('data', (d) => {
      buf += d;
      const m = /"listening":"(http:\/\/[^"]+)"/.exec(buf);
      if (m) {
        clearTimeout(timer);
        // A running server does not by itself keep the test process alive: one a timed-out test started
        // after its `after` hook ran would otherwise hold the file open for ever (it is killed at exit,
        // below). Signalling it holds the process again until it is gone, so its exit can be awaited.
        holdProcess(child, false);
        const signal = child.kill.bind(child);
        child.kill = (sig?: NodeJS.Signals | number) => {
          holdProcess(child, true);
          return signal(sig);
        };
        resolve({
          url: m[1]!,
          child,
          output: () => `${buf}\n${stderr}`,
          kill: (signal = 'SIGKILL') =>
            new Promise((r) => {
              // A child killed by a signal has exitCode null but a signalCode: it is gone all the same.
              if (child.exitCode !== null || child.signalCode !== null) return r();
              child.once('exit', () => r());
              child.kill(signal);
            }),
        });
      }
    });
  });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function holdProcess(child: ChildProcess, hold: boolean): void {
  // The pipes are net.Sockets (typed as plain streams), which can be unref'd like the process.
  for (const h of [child, child.stdout, child.stderr] as ({ ref(): void; unref(): void } | null)[]) {
    if (hold) h?.ref();
    else h?.unref();
  }
}

/** Polls until `check` returns a value that is not undefined, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
