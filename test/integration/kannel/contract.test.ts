// The Kannel gateway against a real bearerbox, smsbox and fakesmsc: the shared gateway contract, and
// sendsms answers that are not acceptances (a refused password, Kannel gone) never count as sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { analyze } from '../../../src/domain/sms/segments.ts';
import { gatewayContract, outbound } from '../../contract/sms-gateway.contract.ts';
import { type GatewayHost, hostKannelGateway } from '../../helpers/kannel/gateway-host.ts';
import { type Kannel, kannelInstalled, startKannel } from '../../helpers/kannel/kannel.ts';
import { freePorts } from '../../helpers/kannel/ports.ts';

if (kannelInstalled('Kannel gateway contract')) {
  let kannel: Kannel;
  let host: GatewayHost;

  gatewayContract('kannel', { receipts: true }, async () => {
    const [port] = (await freePorts(1)) as [number];
    kannel = await startKannel({ qunUrl: `http://127.0.0.1:${port}` });
    host = await hostKannelGateway(kannel.env, port);
    return {
      gateway: host.gateway,
      hooks: host.hooks,
      received: () => kannel.received(),
      sendMo: (from, to, text) => kannel.sendMo(from, to, text),
      async close() {
        await host?.close();
        await kannel?.close();
      },
    };
  });

  describe('Kannel sendsms refusals', () => {
    let k: Kannel;
    const hosts: GatewayHost[] = [];
    const host = async (env: Record<string, string>) => {
      const [port] = (await freePorts(1)) as [number];
      const h = await hostKannelGateway({ ...k.env, ...env }, port);
      hosts.push(h);
      return h;
    };
    before(async () => {
      k = await startKannel({ qunUrl: 'http://127.0.0.1:9' });
    });
    after(async () => {
      for (const h of hosts) await h.close();
      await k?.close();
    });

    test('a wrong password is a failure with Kannel reason, and nothing reaches the phone', async () => {
      const h = await host({ QUN_KANNEL_PASSWORD: 'not-the-password' });
      const text = 'should not arrive';
      const r = await h.gateway.submit(outbound('+8613800138010', '10658', text), analyze(text));
      assert.equal(r.outcome, 'failed', JSON.stringify(r));
      assert.match(r.outcome === 'failed' ? r.reason : '', /403.*Authorization failed for sendsms/);
      await new Promise((res) => setTimeout(res, 500));
      assert.ok(!(await k.received()).some((t) => t.text === text));
    });

    test('a sender Kannel refuses is a failure with its reason', async () => {
      const h = await host({});
      const r = await h.gateway.submit(outbound('+8613800138011', '', 'no sender'), analyze('no sender'));
      assert.equal(r.outcome, 'failed', JSON.stringify(r));
      assert.match(r.outcome === 'failed' ? r.reason : '', /400.*Sender missing/);
    });

    test('sendsms unreachable is a retry, not a failure', async () => {
      const [closed] = (await freePorts(1)) as [number];
      const h = await host({ QUN_KANNEL_SENDSMS_URL: `http://127.0.0.1:${closed}/cgi-bin/sendsms` });
      const r = await h.gateway.submit(outbound('+8613800138012', '10658', 'later'), analyze('later'));
      assert.equal(r.outcome, 'retry', JSON.stringify(r));
    });
  });
}
