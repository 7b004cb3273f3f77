// The contract's coverage check itself: it lists every method of a store and its sub-stores, records
// calls through the tracked store only, and so reports a method nobody called.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../../src/store/store.ts';
import { storeCoverage } from '../../helpers/store-coverage.ts';

test('a method never called through the tracked store is reported', async () => {
  const fake = {
    engine: 'fake',
    users: { byId: async (id: number) => ({ id }), byPhone: async () => undefined },
    push: { remove: async () => {} },
    async close() {},
  } as unknown as Store;
  const c = storeCoverage();
  assert.deepEqual(c.methodsOf(fake), ['close', 'push.remove', 'users.byId', 'users.byPhone']);
  const tracked = c.track(fake);
  assert.deepEqual(await tracked.users.byId(7), { id: 7 }, 'calls go through to the store');
  await tracked.close();
  await fake.push.remove('x');
  assert.equal(tracked.engine, 'fake');
  assert.deepEqual(
    c.methodsOf(fake).filter((m) => !c.called.has(m)),
    ['push.remove', 'users.byPhone'],
  );
});
