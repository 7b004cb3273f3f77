// Durability of message appends without an fsync on the event loop. An append commits at
// synchronous=NORMAL (its WAL frames reach the OS, no fsync) and then waits for an fdatasync of the WAL
// file on libuv's thread pool; only then does it resolve, so nothing is acknowledged or delivered live
// before it would survive a power cut. Meanwhile the event loop goes on with fan-out, acks and frames.
//
// A NORMAL commit is visible to the next statement before it is durable, and a member who saw it could,
// after a power cut, see another message under the same seq. So every other store call waits while an
// append is committed but not yet synced (gate(), sqlite-store.ts): what a member can read from the store
// is durable, as it was when the append's own commit waited for the fsync.
//
// One sync covers every commit before it (the WAL is one file, written in order), so appends committed
// while a sync runs share the next one: a group commit across batches.
import fs from 'node:fs';

interface Waiter {
  upTo: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export type Fdatasync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

export class WalSync {
  readonly #walPath: string;
  readonly #fdatasync: Fdatasync;
  #fd: number | undefined;
  /** Commits made at NORMAL, counted; and how many of them a finished sync covers. */
  #committed = 0;
  #durable = 0;
  #running: Promise<void> | undefined;
  #waiters: Waiter[] = [];
  /** The last call waiting in line (run). */
  #line: Promise<void> | undefined;

  constructor(walPath: string, fdatasync: Fdatasync = fs.fdatasync) {
    this.#walPath = walPath;
    this.#fdatasync = fdatasync;
  }

  /** Whether a commit made at NORMAL is not yet known to be on disk. */
  get pending(): boolean {
    return this.#durable < this.#committed;
  }

  /** Call right after a NORMAL commit: resolves once a sync that began after it has finished. */
  committed(): Promise<void> {
    this.#committed++;
    return this.settled();
  }

  /** Resolves when every commit so far is synced; rejects if the sync that was to cover them failed. */
  settled(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    const upTo = this.#committed;
    const p = new Promise<void>((resolve, reject) => this.#waiters.push({ upTo, resolve, reject }));
    this.#kick();
    return p;
  }

  /**
   * Runs `call` at once when every commit is synced and nobody is waiting; else in line behind those
   * waiting, once the file is synced. Calls start in the order they were made, so the wait never reorders a
   * caller's store calls; the line orders starts only, so a long call does not hold up the ones behind it.
   */
  run<R>(call: () => R): R | Promise<Awaited<R>> {
    if (!this.pending && !this.#line) return call();
    const turn = (this.#line ?? Promise.resolve()).then(async () => {
      // An append may commit while this call waits in line: it runs only on a synced file.
      while (this.pending) await this.settled();
    });
    const result = turn.then(call);
    const line = turn.then(
      () => {},
      () => {},
    );
    this.#line = line;
    void line.then(() => {
      if (this.#line === line) this.#line = undefined;
    });
    return result as Promise<Awaited<R>>;
  }

  /** Waits for the sync in flight (before the file is closed). */
  async close(): Promise<void> {
    while (this.#running) await this.#running.catch(() => {});
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  #kick(): void {
    if (this.#running || !this.pending) return;
    const upTo = this.#committed;
    this.#running = this.#sync()
      .then(
        () => {
          this.#durable = Math.max(this.#durable, upTo);
          this.#settle(upTo, undefined);
        },
        (e: unknown) => {
          // Nothing is known to be on disk: those waiting fail (a sender retries with the same client id,
          // which finds the row and waits for the next sync), and the next call tries again.
          this.#settle(upTo, e);
        },
      )
      .finally(() => {
        this.#running = undefined;
        // Waiters for commits made during this sync need the next one.
        if (this.#waiters.length > 0) this.#kick();
      });
  }

  #settle(upTo: number, err: unknown): void {
    const left: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.upTo > upTo) left.push(w);
      else if (err === undefined) w.resolve();
      else w.reject(err);
    }
    this.#waiters = left;
  }

  #sync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let fd: number;
      try {
        fd = this.#open();
      } catch (e) {
        reject(e);
        return;
      }
      this.#fdatasync(fd, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** The WAL's descriptor; reopened if the file was replaced (SQLite removes it when the last connection closes). */
  #open(): number {
    if (this.#fd !== undefined && fs.fstatSync(this.#fd).nlink > 0) return this.#fd;
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = fs.openSync(this.#walPath, 'r');
    return this.#fd;
  }
}

/**
 * Every method of `part`, made to wait while an append is committed but not synced (see above). `except`
 * names methods that run at once (the append itself).
 */
export function gate<T extends object>(part: T, sync: WalSync, except: readonly string[] = []): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(part)) {
    const fn = v as (...a: unknown[]) => unknown;
    out[k] =
      typeof v !== 'function' || except.includes(k) ? v : (...args: unknown[]) => sync.run(() => fn(...args));
  }
  return out as T;
}
