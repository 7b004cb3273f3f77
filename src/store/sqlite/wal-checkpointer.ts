// Moves SQLite's WAL checkpoint off the event loop. With the automatic checkpoint, the commit that takes
// the WAL past AUTO_CHECKPOINT_PAGES also copies them into the database file and fsyncs it, inside the
// committing call: a reminder pass's commit measured 97–104 ms with it and 42 ms without (at SQLite's
// 1,000 pages; docs/performance.md). Here a worker thread with its own connection runs PASSIVE
// checkpoints, which never block a writer, and the store's connections checkpoint only a WAL the worker
// has let grow past 4,000 pages. Should the worker stop, they go back to the automatic checkpoint.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * The store's automatic checkpoint (wal_autocheckpoint) without the worker, and again when the worker is
 * gone: 10,000 pages (~40 MB of WAL) instead of SQLite's 1,000. A checkpoint copies each page once, its
 * latest version, however many commits rewrote it; a busy group's last pages are rewritten by nearly
 * every commit, so ten times the WAL between checkpoints copies far fewer pages per message. Ingest on
 * one core: checkpoints 6.5 → 2.3% of the server's CPU, 15,900 → 19,700 msgs/s median (docs/performance.md,
 * "Fewer checkpoint copies"). The cost: the WAL file stays up to ~40 MB on disk, and opening after a
 * crash reads that much to rebuild its index.
 */
export const AUTO_CHECKPOINT_PAGES = 10_000;
/**
 * The connections still checkpoint a WAL this long themselves (wal_autocheckpoint): SQLite only starts
 * the WAL over when every frame is copied as a write begins, and a writer that outpaces the worker
 * (a bulk import, a slow disk) always leaves some behind, so without this bound the file would grow
 * without end. The writer's pass right after its own commit has only the worker's backlog to copy.
 */
const WRITER_PAGES = 4000;

export interface WalCheckpointer {
  /** The thread itself, for diagnostics (and for the test that stops it as a crash would). */
  readonly worker: Worker;
  /** Frames the worker has copied into the database file so far. */
  readonly framesCheckpointed: () => number;
  /** The worker runs and the connections leave checkpoints to it. */
  readonly running: () => boolean;
  /** Stops the worker and closes its connection (before the store's own, so theirs is the last). */
  stop(): Promise<void>;
}

// An eval'd script, so that the bundle (dist/main.mjs) needs no second entry point; better-sqlite3 is
// resolved here and handed over by path.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = 0');
let timer;
const pass = () => {
  try {
    // log = frames in the WAL; checkpointed = of them, copied into the database file.
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ log: r.log, checkpointed: r.checkpointed });
    timer = setTimeout(pass, workerData.everyMs);
  } catch (e) {
    // A full disk or an I/O error fails this pass only; the next one, a second later, may succeed.
    parentPort.postMessage({ error: String(e && e.message) });
    timer = setTimeout(pass, 1000);
  }
};
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
pass();
`;

/**
 * Starts checkpointing `file`'s WAL from a worker for `connections`, which must all be open on `file`
 * in WAL mode. `everyMs` is the pause between passes; a pass with nothing to copy costs microseconds.
 */
export function startWalCheckpointer(
  file: string,
  connections: Database.Database[],
  opts: { everyMs?: number } = {},
): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { file, driver, everyMs: opts.everyMs ?? 50 },
  });
  worker.unref(); // the process's lifetime belongs to the server, not to its housekeeping
  let running = true;
  let frames = 0;
  let stopping = false;
  const fallBack = (why: string) => {
    if (!running) return;
    running = false;
    for (const c of connections) if (c.open) c.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    if (!stopping)
      process.emitWarning(`SQLite WAL checkpointer stopped (${why}); automatic checkpoints resume`);
  };
  for (const c of connections) c.pragma(`wal_autocheckpoint = ${WRITER_PAGES}`);
  let copied = 0; // of the current WAL, as the worker last saw it
  let failing: string | undefined; // said once, not every second
  worker.on('message', (m: { log: number; checkpointed: number } | { error: string }) => {
    if ('error' in m) {
      if (m.error !== failing)
        process.emitWarning(`SQLite WAL checkpoint failed (${m.error}); retrying every second`);
      failing = m.error;
      return;
    }
    failing = undefined;
    frames += m.checkpointed >= copied ? m.checkpointed - copied : m.checkpointed;
    copied = m.checkpointed;
  });
  worker.on('error', (e: Error) => fallBack(e.message));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      fallBack(`exit ${code}`);
      resolve();
    }),
  );
  return {
    worker,
    framesCheckpointed: () => frames,
    running: () => running,
    async stop() {
      stopping = true;
      worker.ref(); // an unref'd thread would let the process end mid-close, before the caller's next line
      worker.postMessage('stop');
      await exited;
    },
  };
}
