// Controller for the test SMSC: spawns smsc-server.ts as a child process, learns its port, and drives
// it over IPC. Every test that starts one closes it.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  BindRecord,
  ConfigPatch,
  MoRequest,
  Op,
  ReceivedText,
  Reply,
  SmscConfig,
  Stats,
  SubmitRecord,
} from './protocol.ts';

export type { ConfigPatch, MoRequest, ReceivedText, SubmitRecord } from './protocol.ts';

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smsc-server.ts');

export class Smsc {
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (r: Reply) => void>();
  #nextId = 1;
  #stderr = '';

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.port = port;
    child.on('message', (m: Reply) => {
      this.#waiting.get(m.id)?.(m);
      this.#waiting.delete(m.id);
    });
    child.stderr?.on('data', (d) => {
      this.#stderr += d;
    });
  }

  /** Starts an SMSC child process; resolves once it listens. */
  static start(config: ConfigPatch = {}): Promise<Smsc> {
    const child = fork(SERVER, [], {
      env: { ...process.env, SMSC_CONFIG: JSON.stringify(config) },
      execArgv: ['--disable-warning=ExperimentalWarning'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('test SMSC did not start'));
      }, 10_000);
      child.once('exit', (code) => reject(new Error(`test SMSC exited ${code}`)));
      child.once('message', (m: { ready?: boolean; port?: number }) => {
        clearTimeout(timer);
        if (m.ready && m.port) resolve(new Smsc(child, m.port));
        else reject(new Error('test SMSC sent no port'));
      });
    });
  }

  #call<T>(op: Op): Promise<T> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (!this.#child.connected) return reject(new Error(`test SMSC is gone: ${this.#stderr}`));
      this.#waiting.set(id, (r) => (r.ok ? resolve(r.result as T) : reject(new Error(r.error))));
      this.#child.send({ id, ...op });
    });
  }

  configure(patch: ConfigPatch): Promise<SmscConfig> {
    return this.#call({ op: 'configure', patch });
  }
  /** Logical texts accepted so far (parts reassembled), oldest first. */
  received(): Promise<ReceivedText[]> {
    return this.#call({ op: 'received' });
  }
  /** Every submit_sm as it arrived, answered or not. */
  submits(): Promise<SubmitRecord[]> {
    return this.#call({ op: 'submits' });
  }
  binds(): Promise<BindRecord[]> {
    return this.#call({ op: 'binds' });
  }
  /** Sends an MO text; resolves with the ESME's deliver_sm_resp status for each part. */
  sendMo(mo: MoRequest): Promise<number[]> {
    return this.#call({ op: 'sendMo', mo });
  }
  /** Cuts every ESME connection now. */
  drop(): Promise<void> {
    return this.#call({ op: 'drop' });
  }
  /** As if the SMSC process restarted: connections cut, message ids from 0 again. */
  restart(): Promise<void> {
    return this.#call({ op: 'restart' });
  }
  reset(): Promise<void> {
    return this.#call({ op: 'reset' });
  }
  stats(): Promise<Stats & { incomplete: number }> {
    return this.#call({ op: 'stats' });
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.kill('SIGTERM');
    });
  }
}

/** The most submit_sm PDUs in any window of `ms` (a sliding TPS measurement). */
export function maxPerWindow(times: readonly number[], ms = 1000): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
