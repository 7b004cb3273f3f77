// A throwaway PostgreSQL server for tests: Debian's binaries, a temp data directory, loopback only, a
// port below the ephemeral range. One server per test process (started on first use, stopped when the
// process exits); each caller gets a fresh, empty database in it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { freePorts } from './kannel/ports.ts';

function findBin(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && fs.existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  // Debian installs the server binaries per major version, off PATH.
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const file = path.join(root, v, 'bin', name);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

const INITDB = findBin('initdb');
const PG_CTL = findBin('pg_ctl');

/**
 * Whether the PostgreSQL tests can run. When they cannot, this registers a test that says why: skipped
 * with the reason on a developer machine, failed under CI (where a missing package is a broken set-up).
 */
export function postgresInstalled(what: string): boolean {
  if (INITDB && PG_CTL) return true;
  const reason = 'PostgreSQL is not installed (no initdb/pg_ctl): apt-get install -y postgresql';
  if (process.env.CI) {
    test(`${what}: PostgreSQL is installed`, () => {
      throw new Error(`${reason}; CI must install it`);
    });
  } else {
    process.stderr.write(`\n*** SKIPPING ${what}: ${reason} ***\n\n`);
    test(what, { skip: reason }, () => {});
  }
  return false;
}

interface Cluster {
  dir: string;
  port: number;
  user: string;
}

let cluster: Promise<Cluster> | undefined;
let databases = 0;

/** The server's own runs as the `postgres` user when we are root: initdb refuses root. */
function asPostgres(cmd: string, args: string[]): { file: string; args: string[] } {
  if (process.getuid?.() === 0) return { file: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] };
  return { file: cmd, args };
}

function run(cmd: string, args: string[]): void {
  const c = asPostgres(cmd, args);
  execFileSync(c.file, c.args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

async function startCluster(): Promise<Cluster> {
  if (!INITDB || !PG_CTL) throw new Error('PostgreSQL is not installed');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qun-pg-'));
  fs.chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { mode: 0o700 });
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const user = process.getuid?.() === 0 ? 'postgres' : os.userInfo().username;
  run(INITDB, ['-D', data, '--auth=trust', '--username', user, '--encoding=UTF8', '--no-sync']);
  const [port] = await freePorts(1);
  // fsync stays on: the tests check durability settings as a server would run them.
  run(PG_CTL, [
    '-D',
    data,
    '-w',
    '-l',
    path.join(dir, 'server.log'),
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=200`,
    'start',
  ]);
  process.on('exit', () => {
    try {
      run(PG_CTL, ['-D', data, '-m', 'immediate', 'stop']);
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // already gone
    }
  });
  return { dir, port: port!, user };
}

/** A connection URL to a new empty database on this process's test server (or a copy of `template`). */
export async function freshDatabase(template?: string): Promise<string> {
  cluster ??= startCluster();
  const c = await cluster;
  const name = `qun_test_${process.pid}_${++databases}`;
  const admin = new pg.Client({ host: '127.0.0.1', port: c.port, user: c.user, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  return `postgres://${c.user}@127.0.0.1:${c.port}/${name}`;
}

/** Stops this process's test server (fast shutdown: clients are cut off), as a database outage. */
export async function stopPostgres(): Promise<void> {
  if (!cluster || !PG_CTL) throw new Error('no PostgreSQL test server is running');
  const c = await cluster;
  run(PG_CTL, ['-D', path.join(c.dir, 'data'), '-w', '-m', 'fast', 'stop']);
}

/** Starts this process's test server again on the same port, after stopPostgres(). */
export async function startPostgresAgain(): Promise<void> {
  if (!cluster || !PG_CTL) throw new Error('no PostgreSQL test server was started');
  const c = await cluster;
  run(PG_CTL, [
    '-D',
    path.join(c.dir, 'data'),
    '-w',
    '-l',
    path.join(c.dir, 'server.log'),
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${c.port} -k ${c.dir} -c max_connections=200`,
    'start',
  ]);
}

const prepared = new Map<string, Promise<string>>();

/**
 * A new database already set up by `prepare` (run once per process and key, on a template database
 * that is then copied): for suites that open dozens of stores, where running the migrations again for
 * each one costs most of the suite's time. The copy is as empty as the template `prepare` left it.
 */
export async function preparedDatabase(
  key: string,
  prepare: (url: string) => Promise<void>,
): Promise<string> {
  let template = prepared.get(key);
  if (!template) {
    template = (async () => {
      const url = await freshDatabase();
      await prepare(url);
      return new URL(url).pathname.slice(1);
    })();
    prepared.set(key, template);
  }
  return freshDatabase(await template);
}
