// The SMS queue's heartbeat renews this node's leases on every beat, also while it is still reconciling
// texts taken over from a dead node (a gateway query each): a renewal that waited for that would let this
// live node's own leases expire, and another node take its texts over and send them out of order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SmsGateway } from '../../../src/channels/sms/gateway.ts';
import { SmsSender } from '../../../src/channels/sms/sms-sender.ts';
import type { OutboundSms, Store } from '../../../src/store/store.ts';

test('a beat renews the leases while an earlier beat is still reconciling a take-over', async () => {
  const renewedAt: number[] = [];
  let now = 1_000;
  let answerReconcile!: () => void;
  const reconciling = new Promise<'unknown'>((r) => (answerReconcile = () => r('unknown')));
  let takenOver = false;
  const store = {
    outbound: {
      renewLeases: async (at: number) => {
        renewedAt.push(at);
        return 1;
      },
      takeOverInDoubt: async () => {
        if (takenOver) return [];
        takenOver = true;
        return [{ id: 1, toPhone: '+8613700000001' } as OutboundSms];
      },
      requeue: async () => {},
    },
  } as unknown as Store;
  const gateway = { name: 'smpp', reconcile: () => reconciling } as unknown as SmsGateway;
  const sender = new SmsSender(
    store,
    gateway,
    { now: () => now } as never,
    { smsInDoubt: { inc() {} } } as never,
    { tps: 0, window: 10, smartSubstitution: false, maxAttempts: 3, pollMs: 1_000, leaseMs: 6_000 },
    { warn() {}, info() {} },
  );
  const first = sender.heartbeat(); // takes a dead node's text over; its reconcile hangs
  await new Promise((r) => setImmediate(r));
  now = 3_000;
  const second = sender.heartbeat();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(renewedAt, [1_000, 3_000], 'the second beat renewed although the first still reconciles');
  answerReconcile();
  await Promise.all([first, second]);
});
