// Routes that wait for the route before them (several nodes): retried until the predecessor is written,
// and never written with the hole — one whose predecessor does not come is dropped, for the sweep.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeldRoutes } from '../../../src/core/held-routes.ts';
import type { FallbackRoute } from '../../../src/store/store.ts';

const route = (seq: number): FallbackRoute => ({
  groupId: 1,
  userId: 2,
  seqFrom: seq - 1,
  seqTo: seq,
  rung: 'sms',
  reason: 'offline',
  at: 0,
  reminderDueAt: null,
  afterEarlier: true,
  sms: [],
});

/** A store that hands a route back while `routed` is below its seqFrom, as planRoute does. */
function rig(holdMs: number) {
  let now = 0;
  let routed = 0;
  const written: FallbackRoute[] = [];
  const warned: object[] = [];
  const held: HeldRoutes = new HeldRoutes({
    holdMs,
    now: () => now,
    log: { warn: (o) => warned.push(o), error: () => {} },
    submit: async (routes) => {
      const back = routes.filter((r) => r.afterEarlier && routed < r.seqFrom);
      for (const r of routes) if (!back.includes(r)) written.push(r);
      if (back.length > 0) held.hold(back);
    },
  });
  return {
    held,
    written,
    warned,
    advance: (ms: number) => {
      now += ms;
    },
    writePredecessor: (seq: number) => {
      routed = seq;
    },
  };
}

test('a held route is written once the route before it is, unchanged', async () => {
  const r = rig(60_000);
  r.held.hold([route(6)]);
  await new Promise((ok) => setTimeout(ok, 30));
  assert.equal(r.written.length, 0, 'seq 5 is not routed yet: seq 6 waits');
  r.writePredecessor(5);
  await r.held.idle();
  assert.equal(r.written.length, 1);
  assert.equal(r.written[0]!.seqTo, 6);
  assert.equal(r.written[0]!.afterEarlier, true, 'still conditional on the one before it');
  assert.deepEqual(r.warned, []);
});

test('a route whose predecessor never comes is dropped, not written with the hole', async () => {
  const r = rig(1000);
  r.held.hold([route(6), route(7)]);
  await new Promise((ok) => setTimeout(ok, 20));
  r.advance(1000);
  await r.held.idle();
  assert.deepEqual(r.written, [], 'nothing written past the hole (its texts would go out before seq 5)');
  assert.equal(r.warned.length, 2, 'each dropped route is logged');
  assert.deepEqual(
    r.warned.map((w) => (w as { seqTo: number }).seqTo),
    [6, 7],
  );
});

test('a stopping node drops what still waits', async () => {
  const r = rig(60_000);
  r.held.hold([route(6)]);
  r.held.abandon();
  r.writePredecessor(5);
  await r.held.idle();
  assert.deepEqual(r.written, []);
});
