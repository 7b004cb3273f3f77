// The Twilio gateway passes the shared gateway contract against the fake provider. Twilio sends every
// text from one configured sender, which the contract checks instead of the group address.
import assert from 'node:assert/strict';
import { gatewayContract } from '../../contract/sms-gateway.contract.ts';
import { twilioHarness } from '../../helpers/twilio/harness.ts';

gatewayContract('twilio', { receipts: true, fixedFrom: '+15005550006' }, async () => {
  const h = await twilioHarness({ QUN_TWILIO_FROM: '+15005550006' });
  h.fake.autoStatus = ['sent', 'delivered'];
  return {
    gateway: h.gateway,
    hooks: h.hooks,
    received: async () => h.fake.received(),
    async sendMo(from, to, text) {
      const r = await h.fake.inbound({ from, to, text });
      assert.equal(r.status, 200, r.body);
    },
    close: () => h.close(),
  };
});
