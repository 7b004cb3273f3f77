// The SMPP gateway passes the shared SMS gateway contract against the test SMSC (a real SMPP server in
// a child process), receipts included.
import { gatewayContract } from '../../contract/sms-gateway.contract.ts';
import { startRig } from './harness.ts';

gatewayContract('smpp', { receipts: true }, async () => {
  const rig = await startRig();
  return {
    gateway: rig.gateway,
    hooks: rig.hooks,
    received: () => rig.smsc.received(),
    async sendMo(from, to, text) {
      await rig.smsc.sendMo({ from, to, text });
    },
    close: () => rig.close(),
  };
});
