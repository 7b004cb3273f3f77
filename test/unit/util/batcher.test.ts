import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher } from '../../../src/util/batcher.ts';

/** A flush the test finishes by hand, recording each batch it was given. */
function gated() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const b = new Batcher<number, number>(async (items) => {
    batches.push(items);
    await new Promise<void>((r) => gates.push(r));
    return items.map((x) => x * 10);
  }, 3);
  const turn = () => new Promise((r) => setImmediate(r));
  return { b, batches, gates, turn };
}

test('one turn is one batch; what arrives during a flush goes as one batch after it, in order', async () => {
  const { b, batches, gates, turn } = gated();
  const first = [b.submit(1), b.submit(2)];
  await turn();
  assert.deepEqual(batches, [[1, 2]]);
  // Three more turns while the first flush runs: they wait, and go together, not one batch per turn.
  const later: Promise<number>[] = [];
  for (const x of [3, 4, 5]) {
    later.push(b.submit(x));
    await turn();
  }
  assert.deepEqual(batches, [[1, 2]], 'nothing overtakes or runs beside the running flush');
  gates.shift()!();
  assert.deepEqual(await Promise.all(first), [10, 20]);
  await turn();
  assert.deepEqual(batches, [
    [1, 2],
    [3, 4, 5],
  ]);
  gates.shift()!();
  assert.deepEqual(await Promise.all(later), [30, 40, 50]);
  await b.idle();
});

test('batches stay within maxBatch, in submission order; a failed flush rejects only its own items', async () => {
  let calls = 0;
  const seen: number[][] = [];
  const b = new Batcher<number, number>(async (items) => {
    seen.push(items);
    if (++calls === 1) throw new Error('disk');
    return items;
  }, 3);
  const all = [1, 2, 3, 4, 5, 6, 7].map((x) => b.submit(x));
  const settled = await Promise.allSettled(all);
  await b.idle();
  assert.deepEqual(seen, [[1, 2, 3], [4, 5, 6], [7]]);
  assert.deepEqual(
    settled.map((s) => s.status),
    ['rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
  );
});

test('idle waits for what is pending and for the flush that runs', async () => {
  const { b, gates, turn } = gated();
  let done = false;
  void b.submit(1).then(() => {
    done = true;
  });
  const idle = b.idle();
  await turn();
  await turn();
  assert.equal(done, false);
  gates.shift()!();
  await idle;
  assert.equal(done, true);
});
