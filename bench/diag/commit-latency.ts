// The floor a durable message pays before it can go live: one SQLite commit of a small row in WAL mode,
// as the store commits an append, with `synchronous = FULL` (fsync of the WAL) and, for comparison,
// NORMAL (no fsync). Commits are spaced 5 ms apart, as messages at a conversational rate are.
//
//   node bench/diag/commit-latency.ts [dir]      (default: a temp dir on the disk the data would use)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const base = process.argv[2] ?? os.tmpdir();
const COMMITS = 400;

async function measure(synchronous: 'FULL' | 'NORMAL'): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(base, 'qun-commit-'));
  const db = new Database(path.join(dir, 'x.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, g INTEGER, seq INTEGER, body TEXT)');
    const insert = db.prepare('INSERT INTO m (g, seq, body) VALUES (?, ?, ?)');
    const commit = db.transaction((i: number) => insert.run(1, i, 'x'.repeat(250)));
    const took: number[] = [];
    for (let i = 0; i < COMMITS; i++) {
      const t = performance.now();
      commit(i);
      took.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
    return took.sort((a, b) => a - b);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const at = (s: number[], q: number) => s[Math.min(s.length - 1, Math.floor(s.length * q))]!.toFixed(3);
console.log(
  `SQLite commit latency in ${base}, ${COMMITS} commits each, load average ${os.loadavg()[0]!.toFixed(2)}`,
);
for (const mode of ['FULL', 'NORMAL'] as const) {
  const s = await measure(mode);
  console.log(
    `  synchronous=${mode.padEnd(6)} p50 ${at(s, 0.5)} ms, p90 ${at(s, 0.9)} ms, p99 ${at(s, 0.99)} ms`,
  );
}
