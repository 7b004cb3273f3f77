// A throwaway redis-server for tests: loopback only, no persistence, a port below the ephemeral range.
// One server per test process (started on first use, killed when the process exits); callers share it
// and keep apart by key prefix (freshPrefix) or database number (freshDb). Fault tests stop it and start
// it again on the same port: with no persistence, a restart loses every key, as a real one would.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { freePorts } from './kannel/ports.ts';

function findBin(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin']) {
    if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

const REDIS_SERVER = findBin('redis-server');

/**
 * Whether the Redis tests can run. When they cannot, this registers a test that says why: skipped with
 * the reason on a developer machine, failed under CI (where a missing package is a broken set-up).
 */
export function redisInstalled(what: string): boolean {
  if (REDIS_SERVER) return true;
  const reason = 'Redis is not installed (no redis-server): apt-get install -y redis-server';
  if (process.env.CI) {
    test(`${what}: Redis is installed`, () => {
      throw new Error(`${reason}; CI must install it`);
    });
  } else {
    process.stderr.write(`\n*** SKIPPING ${what}: ${reason} ***\n\n`);
    test(what, { skip: reason }, () => {});
  }
  return false;
}

let port: Promise<number> | undefined;
let child: ChildProcess | undefined;
let prefixes = 0;
let dbs = 0;

process.on('exit', () => {
  child?.kill('SIGKILL');
});

async function launch(p: number): Promise<void> {
  if (!REDIS_SERVER) throw new Error('Redis is not installed');
  const c = spawn(
    REDIS_SERVER,
    ['--bind', '127.0.0.1', '--port', String(p), '--save', '', '--appendonly', 'no', '--databases', '64'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  c.stderr?.on('data', (d) => {
    stderr += d;
  });
  // The test process may exit while the server runs: the exit hook kills it, nothing waits for it.
  c.unref();
  (c.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  child = c;
  const end = Date.now() + 10_000;
  for (;;) {
    if (c.exitCode !== null) throw new Error(`redis-server exited (${c.exitCode}): ${stderr}`);
    if (await ping(p)) return;
    if (Date.now() > end) throw new Error(`redis-server did not answer on port ${p}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function ping(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(p, '127.0.0.1');
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

async function serverPort(): Promise<number> {
  port ??= (async () => {
    const [p] = await freePorts(1);
    await launch(p!);
    return p!;
  })();
  return port;
}

/** The URL of this process's test server (database `db`, 0 by default); starts it on first use. */
export async function redisUrl(db = 0): Promise<string> {
  return `redis://127.0.0.1:${await serverPort()}/${db}`;
}

/** A key prefix no other caller in this process uses (the server is shared). */
export function freshPrefix(what = 't'): string {
  return `${what}${process.pid}-${++prefixes}:`;
}

/** A database number no other caller in this process uses (1..63; pub/sub channels are not per database). */
export function freshDb(): number {
  if (dbs >= 63) throw new Error('out of test databases');
  return ++dbs;
}

/** Kills this process's test server (SIGKILL: no clean shutdown), as a Redis crash. Keys are lost. */
export async function stopRedis(): Promise<void> {
  const c = child;
  if (!c || c.exitCode !== null || c.signalCode !== null) throw new Error('no Redis test server is running');
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
  child = undefined;
}

/** Starts this process's test server again on the same port, after stopRedis(): empty, as after a crash. */
export async function startRedisAgain(): Promise<void> {
  if (!port) throw new Error('no Redis test server was started');
  if (child) throw new Error('the Redis test server is running');
  await launch(await port);
}

/** Stops the test server without closing its sockets (SIGSTOP): commands hang, as with a stuck Redis. */
export function freezeRedis(): void {
  if (!child) throw new Error('no Redis test server is running');
  child.kill('SIGSTOP');
}

/** Lets a frozen test server run again (SIGCONT). */
export function thawRedis(): void {
  if (!child) throw new Error('no Redis test server is running');
  child.kill('SIGCONT');
}
