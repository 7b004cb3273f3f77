// A range `skip` (history removed by retention) advances a group's stream past the removed seqs, in
// order and out of order, and frames held inside the range are dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupStreams } from '../../../src/client/group-streams.ts';

const msg = (seq: number) => ({
  t: 'msg' as const,
  g: 1,
  seq,
  id: `id-${seq}`,
  from: { id: 2, name: 'a' },
  body: `m${seq}`,
  at: 0,
});

test('a range skip from the stream start releases what follows it', () => {
  const s = new GroupStreams();
  s.base(1, 0);
  assert.equal(s.accept({ t: 'skip', g: 1, from: 1, seq: 40 }), 'new');
  assert.equal(s.lastContiguous(1), 40);
  assert.equal(s.accept(msg(41)), 'new');
  assert.deepEqual(
    s.take().map((m) => m.seq),
    [41],
  );
});

test('a range skip arriving after a later message fills the gap; held frames inside it are dropped', () => {
  const s = new GroupStreams();
  s.base(1, 3);
  assert.equal(s.accept(msg(21)), 'gap');
  assert.equal(s.accept(msg(10)), 'gap');
  assert.equal(s.accept({ t: 'skip', g: 1, from: 1, seq: 20 }), 'new');
  assert.equal(s.lastContiguous(1), 21);
  assert.deepEqual(s.gaps(), []);
  assert.deepEqual(
    s.take().map((m) => m.seq),
    [21],
  );
});
