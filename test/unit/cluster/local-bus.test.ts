// The bus of a single node: a published hint comes back to its own handler on a later turn, from itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBus } from '../../../src/cluster/local/local-bus.ts';
import type { ClusterHint } from '../../../src/core/ports/cluster-bus.ts';

test('a hint comes back to this node, asynchronously; a handler that throws is reported', async () => {
  const errors: unknown[] = [];
  const bus = new LocalBus({ node: 'n1', onError: (e) => errors.push(e) });
  bus.publish({ kind: 'renamed', groupId: 1 }); // before start: nobody to tell
  const got: [ClusterHint, string][] = [];
  await bus.start((h, from) => {
    if (h.kind === 'members') throw new Error('handler failed');
    got.push([h, from]);
  });
  bus.publish({ kind: 'committed', groupId: 2, seq: 9 });
  bus.publish({ kind: 'members', groupId: 3 });
  assert.deepEqual(got, [], 'not on the publisher turn');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, [[{ kind: 'committed', groupId: 2, seq: 9 }, 'n1']]);
  assert.equal(errors.length, 1);
  await bus.close();
  bus.publish({ kind: 'renamed', groupId: 4 });
  await new Promise((r) => setImmediate(r));
  assert.equal(got.length, 1, 'nothing after close');
});
