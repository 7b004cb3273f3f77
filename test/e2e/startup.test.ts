// Start-up failures release what they opened: a port already in use rejects startServer with the
// reason, and leaves no timer or file behind (this file would hang and time out if it did).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../helpers/server.ts';

test('a port in use fails start-up cleanly, naming the cause', async () => {
  const a = await startTestServer();
  try {
    await assert.rejects(startTestServer({ PORT: String(a.port) }), /EADDRINUSE/);
  } finally {
    await a.close();
  }
});

test('an unknown gateway stops start-up with the valid names', async () => {
  await assert.rejects(
    startTestServer({ QUN_SMS_GATEWAY: 'pigeon' }),
    /valid gateways: sim, smpp, kannel, twilio/,
  );
});

test('a gateway with missing settings stops start-up listing every problem', async () => {
  await assert.rejects(
    startTestServer({ QUN_SMS_GATEWAY: 'smpp' }, { env: { QUN_SMS_GATEWAY: 'smpp' } }),
    /QUN_SMPP_SYSTEM_ID/,
  );
});
