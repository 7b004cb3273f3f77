// An SMSC that restarts and numbers its message ids from 0 again (as SMPPSim does): receipts for the
// new texts must reach exactly those texts. Earlier texts keep their outcome (a failure stays a failure
// with its own error, a text still waiting stays waiting), on both store engines, through the real queue
// worker, the SMPP gateway and the receipt matcher.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSmppGateway } from '../../../src/channels/sms/gateways/smpp/index.ts';
import { SmsSender } from '../../../src/channels/sms/sms-sender.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { gatewayHooks, ReceiptMatcher } from '../../../src/core/sms-receipts.ts';
import { openPostgresStore } from '../../../src/store/postgres/pg-store.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { OutboundSms, Store } from '../../../src/store/store.ts';
import { createMetrics, type Metrics } from '../../../src/util/metrics.ts';
import { freshDatabase, postgresInstalled } from '../../helpers/postgres.ts';
import { tempDir } from '../../helpers/server.ts';
import { Smsc } from '../../helpers/smsc/smsc.ts';
import { gatewayContext, RecordingLog, smppEnv, until } from './harness.ts';

const N = 12;
const phone = (batch: number, i: number) => `+86139${batch}000${String(i).padStart(4, '0')}`;
const digits = (p: string) => p.slice(1);

function restartCase(engine: string, open: () => Promise<Store>) {
  describe(`receipts after an SMSC restart (${engine})`, () => {
    let smsc: Smsc;
    let store: Store;
    let metrics: Metrics;
    let log: RecordingLog;
    let sender: SmsSender;
    let close: () => Promise<void>;

    before(async () => {
      smsc = await Smsc.start({});
      store = await open();
      metrics = createMetrics();
      log = new RecordingLog();
      const receipts = new ReceiptMatcher(store, 'smpp', systemClock, metrics, log);
      const hooks = gatewayHooks({
        store,
        clock: systemClock,
        members: { invalidateAll() {} } as never,
        receipts,
        inbound: async () => undefined,
      });
      const gateway = createSmppGateway(gatewayContext(smppEnv(smsc), hooks, { log, metrics }));
      await gateway.start();
      sender = new SmsSender(
        store,
        gateway,
        systemClock,
        metrics,
        { tps: 0, window: 10, smartSubstitution: true, maxAttempts: 5, pollMs: 100, leaseMs: 120_000 },
        log,
      );
      await sender.start();
      close = async () => {
        await sender.stop();
        receipts.stop();
        await gateway.stop();
        await store.close();
        await smsc.close();
      };
    });
    after(async () => {
      await close?.();
    });

    async function send(batch: number, n = N): Promise<number[]> {
      const items = Array.from({ length: n }, (_, i) => ({
        kind: 'reply' as const,
        toPhone: phone(batch, i),
        fromAddr: '10658',
        text: `batch ${batch} text ${i}`,
        groupId: null,
        seq: null,
        userId: null,
      }));
      const ids = await store.outbound.enqueue(items, Date.now());
      sender.wake();
      return ids;
    }
    const rows = async (ids: number[]) =>
      Promise.all(ids.map(async (id) => (await store.outbound.get(id)) as OutboundSms));
    const count = async (outcome: string) =>
      (await metrics.receipts.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;

    test('earlier texts keep their outcome; the new ones get theirs', async () => {
      // Before the restart: a third fail (UNDELIV err:901), a third get no receipt yet, a third arrive.
      const perDest: Record<string, string> = {};
      for (let i = 0; i < N; i++) perDest[digits(phone(1, i))] = ['UNDELIV', 'none', 'DELIVRD'][i % 3]!;
      await smsc.configure({ receipts: { mode: 'after', perDest } });
      const first = await send(1);
      const settled = await until(
        async () => {
          const r = await rows(first);
          return r.filter((o) => o.state === 'delivered' || o.state === 'failed').length === (N / 3) * 2
            ? r
            : undefined;
        },
        15_000,
        'receipts for the first batch',
      );
      const before = settled.map((o) => ({ id: o.id, state: o.state, error: o.error, ref: o.gatewayRef }));
      assert.ok(
        before.every((o) => o.ref),
        'every text has the SMSC id',
      );

      // The SMSC restarts and counts from 0: the new texts get the ids the first batch had.
      await smsc.restart();
      await smsc.configure({ receipts: { perDest: {} } });
      const second = await send(2);
      const done = await until(
        async () => {
          const r = await rows(second);
          return r.every((o) => o.state === 'delivered') ? r : undefined;
        },
        20_000,
        'receipts for the second batch',
      );
      const reused = done.filter((o) => before.some((b) => b.ref === o.gatewayRef)).length;
      assert.ok(reused >= N - 1, `the SMSC reused ids (${reused} of ${N})`);
      assert.ok(done.every((o) => o.error === null));
      // Receipts that could still arrive late for the first batch have had their time.
      await new Promise((r) => setTimeout(r, 500));
      const after = await rows(first);
      for (const [i, o] of after.entries()) {
        assert.equal(o.state, before[i]!.state, `text ${i} of the first batch kept its state`);
        assert.equal(o.error, before[i]!.error, `text ${i} of the first batch kept its error`);
      }
      assert.equal(after.filter((o) => o.state === 'submitted').length, N / 3, 'still waiting');
      assert.ok(after.filter((o) => o.state === 'failed').every((o) => o.error === 'UNDELIV err:901'));
      assert.equal(await count('delivered'), N / 3 + N);
      assert.equal(await count('failed'), N / 3);
    });

    test('a repeated or contradicting receipt changes nothing and is counted', async () => {
      const [id] = await send(3, 1);
      const row = await until(
        async () => {
          const o = await store.outbound.get(id!);
          return o?.state === 'delivered' ? o : undefined;
        },
        10_000,
        'the receipt',
      );
      const [conflicts, duplicates] = [await count('conflict'), await count('duplicate')];
      const hooks = gatewayHooks({
        store,
        clock: systemClock,
        members: { invalidateAll() {} } as never,
        receipts: new ReceiptMatcher(store, 'smpp', systemClock, metrics, log),
        inbound: async () => undefined,
      });
      await hooks.receipt({
        ref: row.gatewayRef!,
        delivered: false,
        detail: 'UNDELIV',
        session: row.gatewaySession!,
      });
      await hooks.receipt({
        ref: row.gatewayRef!,
        delivered: true,
        detail: 'DELIVRD',
        session: row.gatewaySession!,
      });
      const now = (await store.outbound.get(id!))!;
      assert.equal(now.state, 'delivered');
      assert.equal(now.error, null);
      assert.equal(await count('conflict'), conflicts + 1);
      assert.equal(await count('duplicate'), duplicates + 1);
      assert.ok(log.lines.some((l) => /receipt conflict/.test(l.msg)));
    });
  });
}

restartCase('sqlite', async () =>
  openSqliteStore(path.join(tempDir('qun-restart-'), 'qun.db'), { gateway: 'smpp' }),
);
if (postgresInstalled('receipts after an SMSC restart: postgres')) {
  restartCase('postgres', async () => openPostgresStore(await freshDatabase(), { gateway: 'smpp' }));
}
