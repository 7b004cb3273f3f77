// The background-job lifecycle: a job never runs twice at once (a slow pass makes later ticks skip,
// counted), a failing pass is logged and the job runs again, and stop() aborts and waits for the pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { JobRunner } from '../../../src/scheduler/job-runner.ts';

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((r) => {
    release = r;
  });
  return { promise, release };
}

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 2));
};

function runner() {
  const errors: unknown[] = [];
  const overlaps = new Counter({
    name: 'overlaps',
    help: 'h',
    labelNames: ['job'] as const,
    registers: [new Registry()],
  });
  const jobs = new JobRunner({ log: { error: (o) => errors.push(o) }, overlaps });
  const skipped = async () => (await overlaps.get()).values.find((v) => v.labels.job === 'slow')?.value ?? 0;
  return { jobs, errors, skipped };
}

test('a slow pass is never overlapped: ticks while it runs are skipped and counted', async () => {
  const { jobs, skipped } = runner();
  const gate = deferred();
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  jobs.add({
    name: 'slow',
    everyMs: 3,
    run: async () => {
      runs++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      if (runs === 1) await gate.promise;
      running--;
    },
  });
  jobs.start();
  await until(() => runs === 1);
  let n = await skipped();
  while (n < 3) {
    await new Promise((r) => setTimeout(r, 3));
    n = await skipped();
  }
  assert.equal(runs, 1, 'no second pass while the first is still going');
  gate.release();
  await until(() => runs >= 3);
  await jobs.stop();
  assert.equal(maxRunning, 1);
  assert.ok(n >= 3);
});

test('runNow joins a pass in progress instead of starting another', async () => {
  const { jobs } = runner();
  const gate = deferred();
  let runs = 0;
  jobs.add({
    name: 'once',
    everyMs: 60_000,
    run: async () => {
      runs++;
      await gate.promise;
    },
  });
  const a = jobs.runNow('once');
  const b = jobs.runNow('once');
  gate.release();
  await Promise.all([a, b]);
  assert.equal(runs, 1);
  await assert.rejects(jobs.runNow('missing'), /unknown job/);
  assert.throws(() => jobs.add({ name: 'once', everyMs: 1, run: async () => {} }), /duplicate job/);
  await jobs.stop();
});

test('a failing pass is logged and the job runs again; stop() aborts and waits for the pass', async () => {
  const { jobs, errors } = runner();
  let runs = 0;
  let finished = false;
  jobs.add({
    name: 'flaky',
    everyMs: 3,
    run: async (signal) => {
      runs++;
      if (runs === 1) throw new Error('store down');
      if (runs === 2) {
        await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
        finished = true;
      }
    },
  });
  jobs.start();
  await until(() => runs === 2);
  assert.equal(errors.length, 1);
  await jobs.stop();
  assert.ok(finished, 'stop() waited for the pass it aborted');
  const after = runs;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(runs, after, 'nothing runs after stop()');
});
