// The SMS queue keeps the gateway's window full while outcomes are being written: a text leaves the
// window when the gateway answers it, not when its submit is recorded. Recording is a group commit (an
// fsync on SQLite), and a window that sat those out kept far fewer submits at the gateway than it allows.
// Outcomes waiting to be written are bounded as well, so a store that stops writing stops the claims.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { SmsGateway } from '../../../src/channels/sms/gateway.ts';
import { SmsSender } from '../../../src/channels/sms/sms-sender.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { NewOutbound, Store } from '../../../src/store/store.ts';
import { createMetrics } from '../../../src/util/metrics.ts';
import { tempDir } from '../../helpers/server.ts';

const WINDOW = 10;
const TEXTS = 100;
const turn = () => new Promise<void>((r) => setImmediate(r));

const reply = (i: number): NewOutbound => ({
  kind: 'reply',
  toPhone: `+86138${String(i).padStart(8, '0')}`,
  fromAddr: '10658',
  text: `reply ${i}`,
  groupId: null,
  seq: null,
  userId: null,
});

test('submits go on while their outcomes wait for the store, up to a bound; every text is recorded once', async (t) => {
  const store = await openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' });
  t.after(() => store.close());
  const ids = await store.outbound.enqueue(
    Array.from({ length: TEXTS }, (_, i) => reply(i)),
    Date.now(),
  );

  // The store's record of submits is held until the test lets it go.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const gated = {
    ...store,
    outbound: {
      ...store.outbound,
      markSubmittedMany: async (...a: Parameters<Store['outbound']['markSubmittedMany']>) => {
        await held;
        return store.outbound.markSubmittedMany(...a);
      },
    },
  } as Store;
  const submitted: number[] = [];
  const gateway = {
    name: 'sim',
    submit: async (o: { id: number }) => {
      submitted.push(o.id);
      return { outcome: 'submitted', ref: `ref-${o.id}` };
    },
    reconcile: async () => 'unknown',
  } as unknown as SmsGateway;
  const sender = new SmsSender(
    gated,
    gateway,
    { now: () => Date.now() } as never,
    createMetrics(),
    { tps: 0, window: WINDOW, smartSubstitution: false, maxAttempts: 3, pollMs: 60_000, leaseMs: 60_000 },
    { warn() {}, info() {} },
  );
  sender.wake();
  // Until the submits stop coming: every slot is then held by an outcome the store has not written.
  let seen = -1;
  while (seen !== submitted.length) {
    seen = submitted.length;
    for (let k = 0; k < 20; k++) await turn();
  }
  assert.ok(
    submitted.length > WINDOW,
    `more than one window submitted while no outcome was written (${submitted.length})`,
  );
  assert.equal(submitted.length, WINDOW * 4, 'and no more than four windows of outcomes waiting');

  release();
  await sender.idle();
  await sender.stop();
  assert.equal(submitted.length, TEXTS, 'every text submitted');
  assert.equal(new Set(submitted).size, TEXTS, 'none twice');
  const states = await Promise.all(ids.map(async (id) => (await store.outbound.get(id))?.state));
  assert.deepEqual(new Set(states), new Set(['submitted']), 'every outcome recorded');
  assert.equal(await store.outbound.depth(), 0);
});
