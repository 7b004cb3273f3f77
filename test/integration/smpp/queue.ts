// Qun's real outbound queue (SmsSender over a SQLite store) driving an SMPP rig, for the tests that
// need many texts, retries and requeues to go through the path production uses.
import path from 'node:path';
import { SmsSender } from '../../../src/channels/sms/sms-sender.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { OutboundSms, Store } from '../../../src/store/store.ts';
import { tempDir } from '../../helpers/server.ts';
import type { Rig } from './harness.ts';
import { until } from './harness.ts';

export interface Queue {
  store: Store;
  sender: SmsSender;
  ids: number[];
  /** Waits until nothing is queued or being submitted, and returns every row. */
  drained(ms: number): Promise<OutboundSms[]>;
  close(): Promise<void>;
}

export async function startQueue(
  rig: Rig,
  texts: { to: string; from: string; text: string }[],
  tps: number,
): Promise<Queue> {
  const store = await openSqliteStore(path.join(tempDir('qun-smpp-'), 'qun.db'), { gateway: 'smpp' });
  const sender = new SmsSender(
    store,
    rig.gateway,
    systemClock,
    rig.metrics,
    {
      tps,
      window: rig.gateway.window,
      smartSubstitution: true,
      maxAttempts: 8,
      pollMs: 100,
      leaseMs: 120_000,
    },
    rig.log,
  );
  const ids = await store.outbound.enqueue(
    texts.map((t) => ({
      kind: 'notice',
      toPhone: t.to,
      fromAddr: t.from,
      text: t.text,
      groupId: null,
      seq: null,
      userId: null,
    })),
    Date.now(),
  );
  await sender.start();
  return {
    store,
    sender,
    ids,
    async drained(ms) {
      await until(
        async () => ((await store.outbound.depth()) === 0 ? true : undefined),
        ms,
        'the queue to drain',
      );
      return Promise.all(ids.map(async (id) => (await store.outbound.get(id))!));
    },
    async close() {
      await sender.stop();
      await store.close();
    },
  };
}
