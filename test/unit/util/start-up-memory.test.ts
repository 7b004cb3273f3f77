// The collection the server runs once it is up: with --expose-gc it gives back the young generation that
// start-up grew (in a child process, so this test's own heap is not what is measured); without the flag
// it does nothing and says so. The server schedules it a second after start (cli.ts); that timer path too.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MODULE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../src/util/start-up-memory.ts',
);

// Grows the young generation the way start-up does (short-lived garbage, some of it surviving a few
// scavenges), then reports new space's committed size before and after the call.
const CHILD = `
import v8 from 'node:v8';
const { releaseStartUpMemory, releaseStartUpMemorySoon } = await import(${JSON.stringify(MODULE)});
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
let keep = [];
for (let i = 0; i < 300_000; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 50_000) keep = []; }
keep = [];
const before = newSpace();
let ran = false;
if (process.env.QUN_TEST_SOON) {
  // The server's way: on a timer. The measuring timer is due later, so it runs after the collection.
  releaseStartUpMemorySoon(50);
  await new Promise((r) => setTimeout(r, 200));
} else ran = releaseStartUpMemory();
console.log(JSON.stringify({ ran, before, after: newSpace() }));
// A collection scheduled far off must not keep a process that is done from exiting (the test would time out).
releaseStartUpMemorySoon(600_000);
`;

function run(
  flags: string[],
  env: Record<string, string> = {},
): { ran: boolean; before: number; after: number } {
  const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', CHILD], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as { ran: boolean; before: number; after: number };
}

test('with --expose-gc the young generation start-up grew is given back', () => {
  const r = run(['--max-semi-space-size=8', '--expose-gc']);
  assert.equal(r.ran, true);
  assert.ok(r.before >= 4 * 2 ** 20, `the young generation grew first (${r.before} bytes)`);
  assert.ok(r.after <= r.before / 2, `new space ${r.before} → ${r.after} bytes`);
});

test('without --expose-gc nothing runs', () => {
  const r = run(['--max-semi-space-size=8']);
  assert.equal(r.ran, false);
});

test('scheduled a moment after start, it runs on its timer and does not hold the process', () => {
  const r = run(['--max-semi-space-size=8', '--expose-gc'], { QUN_TEST_SOON: '1' });
  assert.ok(r.before >= 4 * 2 ** 20, `the young generation grew first (${r.before} bytes)`);
  assert.ok(r.after <= r.before / 2, `new space ${r.before} → ${r.after} bytes`);
});
