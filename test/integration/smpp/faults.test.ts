// How the gateway reads the SMSC's answers and silences: permanent refusals fail the text with the
// ESME code, unanswered submits and persistent throttling go back to the queue, binds that cannot
// happen stop start-up with the host, port and reason; and bad settings are all listed at once.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createSmppGateway } from '../../../src/channels/sms/gateways/smpp/index.ts';
import { analyze } from '../../../src/domain/sms/segments.ts';
import { outbound, RecordingHooks } from '../../contract/sms-gateway.contract.ts';
import { Smsc } from '../../helpers/smsc/smsc.ts';
import { gatewayContext, type Rig, smppEnv, startRig } from './harness.ts';

const GROUP = '106580123456';
const submit = (rig: Rig, to: string, text = 'hello') =>
  rig.gateway.submit(outbound(to, GROUP, text), analyze(text));

// Faults are set per destination, so that the tests (one of them waits out the whole back-off) can run
// side by side on one SMSC.
const PER_DEST = {
  '8613800000501': 0x0b,
  '8613800000502': 0x45,
  '8613800000504': 'drop',
  '8613800000506': 0x14,
} as const;

describe('SMPP faults', { concurrency: true }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({
      env: { QUN_SMPP_RESPONSE_TIMEOUT: '300ms' },
      smsc: { faults: { perDest: PER_DEST } },
    });
  });
  after(async () => {
    await rig?.close();
  });

  test('binds as an SMPP 3.4 transceiver', async () => {
    const [b] = await rig.smsc.binds();
    assert.equal(b!.command, 'bind_transceiver');
    assert.equal(b!.interfaceVersion, 0x34);
  });

  test('permanent refusals fail the text, naming the ESME code', async () => {
    assert.deepEqual(await submit(rig, '+8613800000501'), {
      outcome: 'failed',
      reason: 'ESME_RINVDSTADR (0x0B)',
    });
    assert.deepEqual(await submit(rig, '+8613800000502'), {
      outcome: 'failed',
      reason: 'ESME_RSUBMITFAIL (0x45)',
    });
  });

  test('a number that is not E.164 is not reachable and fails without a submit', async () => {
    assert.equal(rig.gateway.reachable('10658'), false);
    assert.equal(rig.gateway.reachable('+8613800000503'), true);
    const r = await submit(rig, '13800000503');
    assert.equal(r.outcome, 'failed');
  });

  test('an unanswered submit is a retry ("no response"), the link stays up', async () => {
    const r = await submit(rig, '+8613800000504');
    assert.equal(r.outcome, 'retry');
    assert.equal(r.outcome === 'retry' && r.reason, 'no response');
    assert.equal((await submit(rig, '+8613800000505')).outcome, 'submitted');
    assert.equal(await rig.gateway.reconcile(outbound('+8613800000504', GROUP, 'x')), 'unknown');
  });

  test('a queue that stays full is retried with back-off, then handed back to the queue', async () => {
    const started = Date.now();
    const r = await submit(rig, '+8613800000506');
    assert.deepEqual(r, { outcome: 'retry', reason: 'ESME_RMSGQFUL (0x14)', afterMs: 1000 });
    assert.ok(Date.now() - started > 2000, 'paused between attempts');
    const tries = (await rig.smsc.submits()).filter((s) => s.dest === '8613800000506');
    assert.equal(tries.length, 5, 'the same part, five times');
    const metric = await rig.metrics.throttled.get();
    assert.equal(metric.values.find((v) => v.labels.gateway === 'smpp')?.value, 5);
  });
});

describe('SMPP start-up', () => {
  test('a refused bind stops start-up at once, naming host:port and the ESME code', async () => {
    const smsc = await Smsc.start({ password: 'other' });
    try {
      const gw = createSmppGateway(gatewayContext(smppEnv(smsc), new RecordingHooks()));
      await assert.rejects(gw.start(), (e: Error) => {
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${smsc.port}`));
        assert.match(e.message, /ESME_RINVPASWD \(0x0E\)/);
        return true;
      });
    } finally {
      await smsc.close();
    }
  });

  test('an SMSC that is not there stops start-up after QUN_SMPP_BIND_TIMEOUT', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const env = { QUN_SMPP_PORT: String(port), QUN_SMPP_SYSTEM_ID: 'qun', QUN_SMPP_BIND_TIMEOUT: '1s' };
    const gw = createSmppGateway(gatewayContext(env, new RecordingHooks()));
    await assert.rejects(gw.start(), new RegExp(`127\\.0\\.0\\.1:${port} after 1 s: .*ECONNREFUSED`));
  });

  test('bad settings are listed together, without the password', () => {
    const env = { QUN_SMPP_WINDOW: '0', QUN_SMPP_PASSWORD: 'much-too-long', QUN_SMPP_DEST_TON: 'x' };
    assert.throws(
      () => createSmppGateway(gatewayContext(env, new RecordingHooks())),
      (e: Error) => {
        for (const name of [
          'QUN_SMPP_SYSTEM_ID',
          'QUN_SMPP_WINDOW',
          'QUN_SMPP_PASSWORD',
          'QUN_SMPP_DEST_TON',
        ])
          assert.match(e.message, new RegExp(name));
        assert.doesNotMatch(e.message, /much-too-long/);
        return true;
      },
    );
  });
});
