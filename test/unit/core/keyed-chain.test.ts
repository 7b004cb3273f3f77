// KeyedChain: one task at a time per key, in order; keys independent; failures do not block a key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedChain } from '../../../src/util/keyed-chain.ts';

const tick = () => new Promise((r) => setImmediate(r));

test('tasks of one key never overlap and run in arrival order; other keys run alongside', async () => {
  const chain = new KeyedChain();
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const task = (key: string, i: number) => async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    log.push(`${key}${i}+`);
    await tick();
    await tick();
    log.push(`${key}${i}-`);
    running--;
    return i;
  };
  const results = await Promise.all([
    chain.run('a', task('a', 1)),
    chain.run('a', task('a', 2)),
    chain.run('b', task('b', 1)),
    chain.run('a', task('a', 3)),
  ]);
  assert.deepEqual(results, [1, 2, 1, 3]);
  const a = log.filter((l) => l.startsWith('a'));
  assert.deepEqual(a, ['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
  assert.equal(maxRunning, 2, 'b ran while a was busy');
  await tick();
  assert.equal(chain.size, 0, 'finished keys are forgotten');
});

test('a failing task rejects its own caller only; the next task of the key still runs', async () => {
  const chain = new KeyedChain();
  const first = chain.run('k', async () => {
    throw new Error('boom');
  });
  const second = chain.run('k', async () => 'ok');
  await assert.rejects(first, /boom/);
  assert.equal(await second, 'ok');
});
