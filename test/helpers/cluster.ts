// A Qun cluster for tests and benchmarks: one throwaway PostgreSQL database, one throwaway Redis, and N
// `node src/main.ts serve` processes (node-a, node-b, …) on fixed loopback ports, so that a node restarted
// after a kill is found at the same address. Clients pick nodes round-robin and, when their socket closes,
// reconnect to another node: no sticky sessions, as behind a plain load balancer.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { QunClient } from '../../src/client/qun-client.ts';
import { freePorts } from './kannel/ports.ts';
import { freshDatabase, postgresInstalled } from './postgres.ts';
import { freshDb, redisInstalled, redisUrl, startRedisAgain, stopRedis } from './redis.ts';
import { Api, BASE_ENV, ROOT, tempDir } from './server.ts';

/**
 * Whether cluster tests can run (PostgreSQL and redis-server installed). When not, a test says why:
 * skipped on a developer machine, failed under CI, where a missing package is a broken set-up.
 */
export function clusterInstalled(what: string): boolean {
  return postgresInstalled(what) && redisInstalled(what);
}

export interface QunNode {
  /** QUN_NODE_ID: node-a, node-b, … */
  id: string;
  port: number;
  url: string;
  dataDir: string;
  child: ChildProcess | undefined;
  /** Listening, and not being stopped by the test. */
  up: boolean;
  /** The last 20 kB of the node's log (both streams). */
  log: string;
}

export interface StopResult {
  /** From the signal to the process's exit. */
  exitMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ClusterOptions {
  nodes?: number;
  /** Extra environment for every node (timers, limits). */
  env?: Record<string, string>;
  /** A database already prepared (a benchmark's seeded rows); default: a fresh one. */
  databaseUrl?: string;
  /** false: the nodes run without QUN_REDIS_URL (no Redis is started). */
  redis?: boolean;
  /** How long a node may take to listen (a loaded 2-core machine can take seconds). */
  startTimeoutMs?: number;
}

const NAMES = 'abcdefghijklmnopqrstuvwxyz';

export class Cluster {
  readonly databaseUrl: string;
  /** The Redis URL the nodes share (the test process's Redis server, a database of its own). */
  readonly redisUrl: string | undefined;
  #redisUp = false;
  readonly nodes: QunNode[];
  /** Every close a cluster client saw: which client (in creation order), on which node, the code, when. */
  readonly closes: { client: number; node: string; code: number; at: number }[] = [];
  #clients = 0;
  readonly #env: Record<string, string>;
  readonly #timeout: number;
  #next = 0;
  #db: pg.Pool | undefined;

  private constructor(databaseUrl: string, redis: string | undefined, nodes: QunNode[], o: ClusterOptions) {
    this.databaseUrl = databaseUrl;
    this.redisUrl = redis;
    this.#redisUp = redis !== undefined;
    this.nodes = nodes;
    this.#env = o.env ?? {};
    this.#timeout = o.startTimeoutMs ?? 60_000;
  }

  /** A fresh database, a fresh Redis and N nodes; the first node starts alone (it runs the migrations). */
  static async start(o: ClusterOptions = {}): Promise<Cluster> {
    const n = o.nodes ?? 3;
    const ports = await freePorts(n);
    const databaseUrl = o.databaseUrl ?? (await freshDatabase());
    const redis = o.redis === false ? undefined : await redisUrl(freshDb());
    const nodes = Array.from({ length: n }, (_, i): QunNode => {
      const port = ports[i]!;
      return {
        id: `node-${NAMES[i]}`,
        port,
        url: `http://127.0.0.1:${port}`,
        dataDir: tempDir(`qun-cluster-${NAMES[i]}-`),
        child: undefined,
        up: false,
        log: '',
      };
    });
    const c = new Cluster(databaseUrl, redis, nodes, o);
    process.once('exit', () => {
      for (const node of nodes) node.child?.kill('SIGKILL');
    });
    try {
      await c.restart(0);
      await Promise.all(nodes.slice(1).map((_, i) => c.restart(i + 1)));
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  /** The environment node `i` runs with. */
  envOf(i: number): Record<string, string> {
    const node = this.nodes[i]!;
    return {
      ...BASE_ENV,
      QUN_LOG_LEVEL: 'info',
      QUN_DATA_DIR: node.dataDir,
      QUN_DATABASE_URL: this.databaseUrl,
      ...(this.redisUrl ? { QUN_REDIS_URL: this.redisUrl } : {}),
      QUN_NODE_ID: node.id,
      PORT: String(node.port),
      ...this.#env,
    };
  }

  /** Starts node `i` (again); resolves once it listens. */
  async restart(i: number): Promise<void> {
    const node = this.nodes[i]!;
    if (node.child && node.child.exitCode === null && node.child.signalCode === null)
      throw new Error(`${node.id} is still running`);
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', path.join(ROOT, 'src/main.ts'), 'serve'],
      { cwd: ROOT, env: { ...process.env, ...this.envOf(i) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    node.child = child;
    const keep = (d: Buffer) => {
      node.log = (node.log + d).slice(-20_000);
    };
    child.stderr!.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${node.id} did not start within ${this.#timeout} ms: ${node.log}`));
      }, this.#timeout);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`${node.id} exited ${code} while starting: ${node.log}`));
      };
      child.once('exit', onExit);
      child.stdout!.on('data', (d: Buffer) => {
        keep(d);
        if (node.up) return;
        buf += d;
        if (/"listening":"http:\/\/[^"]+"/.test(buf)) {
          clearTimeout(timer);
          child.off('exit', onExit);
          node.up = true;
          resolve();
        }
      });
    });
    child.once('exit', () => {
      node.up = false;
    });
  }

  /** Sends `signal` to node `i` and waits for it to exit (SIGTERM: at most `graceMs`, then SIGKILL). */
  async kill(i: number, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL', graceMs = 30_000): Promise<StopResult> {
    const node = this.nodes[i]!;
    const child = node.child;
    node.up = false;
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return { exitMs: 0, code: child?.exitCode ?? null, signal: child?.signalCode ?? null };
    const t0 = Date.now();
    return new Promise((resolve) => {
      const hard = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', (code, sig) => {
        clearTimeout(hard);
        resolve({ exitMs: Date.now() - t0, code, signal: sig });
      });
      child.kill(signal);
    });
  }

  /** Redis killed (every key and subscriber lost), down for `downMs`, then started again on its port. */
  async restartRedis(downMs = 1000): Promise<void> {
    await this.stopRedis();
    await new Promise((r) => setTimeout(r, downMs));
    await this.startRedis();
  }

  /** SIGKILL: no clean shutdown; keys and subscriptions are gone (the server keeps nothing on disk). */
  async stopRedis(): Promise<void> {
    if (!this.redisUrl) throw new Error('this cluster runs without Redis');
    await stopRedis();
    this.#redisUp = false;
  }

  async startRedis(): Promise<void> {
    if (!this.redisUrl) throw new Error('this cluster runs without Redis');
    await startRedisAgain();
    this.#redisUp = true;
  }

  /** Nodes that are up, in order. */
  upNodes(): QunNode[] {
    return this.nodes.filter((n) => n.up);
  }

  /** The next node that is up, round-robin (any node when none is up: the caller's retry finds one). */
  nextUrl(): string {
    const up = this.upNodes();
    const pool = up.length > 0 ? up : this.nodes;
    return pool[this.#next++ % pool.length]!.url;
  }

  /** A node other than `url` that is up (round-robin), for a client whose socket just closed. */
  otherUrl(url: string): string {
    const up = this.upNodes().filter((n) => n.url !== url);
    if (up.length === 0) return this.nextUrl();
    return up[this.#next++ % up.length]!.url;
  }

  /** An HTTP client on the next node (a new pick per call: requests spread over the nodes). */
  api(): Api {
    return new Api(this.nextUrl());
  }

  apiOn(i: number): Api {
    return new Api(this.nodes[i]!.url);
  }

  /**
   * A typed live client that starts on `start` (or the next node) and, whenever its socket closes,
   * resumes on another node.
   */
  client(token: string, start?: number): QunClient {
    const c = new QunClient({
      baseUrl: start === undefined ? this.nextUrl() : this.nodes[start]!.url,
      token,
    });
    // The client reads baseUrl when it opens its next socket: the close event comes first.
    const client = this.#clients++;
    c.on('close', (e) => {
      this.closes.push({
        client,
        node: this.nodes.find((n) => n.url === c.baseUrl)?.id ?? '?',
        code: e.code,
        at: Date.now(),
      });
      (c as unknown as { baseUrl: string }).baseUrl = this.otherUrl(c.baseUrl);
    });
    return c;
  }

  /** Which node a client is on now. */
  nodeOf(c: QunClient): string | undefined {
    return this.nodes.find((n) => n.url === c.baseUrl)?.id;
  }

  /** A direct connection to the cluster's database, for checks of what the nodes wrote. */
  db(): pg.Pool {
    this.#db ??= new pg.Pool({ connectionString: this.databaseUrl, max: 2 });
    return this.#db;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.kill(i, 'SIGKILL')));
    // The Redis server is the test process's (shared, killed at exit): a stopped one is started again for the next.
    if (this.redisUrl && !this.#redisUp) await startRedisAgain();
    await this.#db?.end();
    for (const n of this.nodes) fs.rmSync(n.dataDir, { recursive: true, force: true });
  }
}
