// The simulator passes the gateway contract (its "peer" is the simulated phones in the same database).
import path from 'node:path';
import { SimGateway } from '../../src/channels/sms/gateways/sim/sim-gateway.ts';
import { systemClock } from '../../src/core/clock.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { tempDir } from '../helpers/server.ts';
import { gatewayContract, RecordingHooks } from './sms-gateway.contract.ts';

gatewayContract('sim', { receipts: false }, async () => {
  const store = await openSqliteStore(path.join(tempDir(), 'qun.db'), { gateway: 'sim' });
  const hooks = new RecordingHooks();
  const gateway = new SimGateway(store.sim, systemClock);
  return {
    gateway,
    hooks,
    async received() {
      const out = [];
      for (const { phone } of await store.sim.phones())
        out.push(...(await store.sim.textsTo(phone, 0, 1000)));
      return out.sort((a, b) => a.id - b.id);
    },
    async sendMo(from, to, text) {
      // The simulator's MO path is POST /v1/sim/sms, which calls the same inbound hook.
      await hooks.inbound({ from, to, text, ref: null });
    },
    async close() {
      await store.close();
    },
  };
});
