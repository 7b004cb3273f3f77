// Kannel settings: every problem is reported at once when the gateway is selected, and the
// address allow-list understands addresses, CIDRs and IPv4 peers of dual-stack sockets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressAllowed } from '../../../src/channels/sms/gateways/kannel/access.ts';
import { parseKannelSettings } from '../../../src/channels/sms/gateways/kannel/settings.ts';

const GOOD = {
  QUN_KANNEL_SENDSMS_URL: 'http://127.0.0.1:13013/cgi-bin/sendsms',
  QUN_KANNEL_USERNAME: 'qun',
  QUN_KANNEL_PASSWORD: 'pw',
  QUN_KANNEL_INBOUND_SECRET: 'a-long-enough-secret',
};

test('missing required settings are all named in one error', () => {
  assert.throws(
    () => parseKannelSettings({}),
    (e: unknown) =>
      e instanceof Error &&
      [
        'QUN_KANNEL_SENDSMS_URL',
        'QUN_KANNEL_USERNAME',
        'QUN_KANNEL_PASSWORD',
        'QUN_KANNEL_INBOUND_SECRET',
      ].every((n) => e.message.includes(n)),
  );
});

test('bad values are all named in one error', () => {
  assert.throws(
    () =>
      parseKannelSettings({
        ...GOOD,
        QUN_KANNEL_SENDSMS_URL: 'ftp://x',
        QUN_KANNEL_INBOUND_SECRET: 'short',
        QUN_KANNEL_DLR_MASK: '99',
        QUN_KANNEL_ALLOW_FROM: '127.0.0.1,10.0.0.0/33,example.org',
        QUN_KANNEL_TIMEOUT: 'soon',
      }),
    (e: unknown) =>
      e instanceof Error &&
      e.message.split('\n').length === 6 &&
      /10\.0\.0\.0\/33, example\.org/.test(e.message),
  );
});

test('defaults: dlr-mask 27, 10 s timeout, loopback only', () => {
  const k = parseKannelSettings(GOOD);
  assert.equal(k.dlrMask, 27);
  assert.equal(k.timeout, 10_000);
  assert.ok(addressAllowed(k.allowFrom, '127.0.0.1'));
  assert.ok(addressAllowed(k.allowFrom, '::1'));
  assert.ok(addressAllowed(k.allowFrom, '::ffff:127.0.0.1'));
  assert.ok(!addressAllowed(k.allowFrom, '10.0.0.5'));
});

test('CIDRs in the allow-list', () => {
  const k = parseKannelSettings({ ...GOOD, QUN_KANNEL_ALLOW_FROM: ' 10.1.0.0/16 , fd00::/8' });
  assert.ok(addressAllowed(k.allowFrom, '10.1.200.3'));
  assert.ok(addressAllowed(k.allowFrom, '::ffff:10.1.0.1'));
  assert.ok(addressAllowed(k.allowFrom, 'fd12::1'));
  assert.ok(!addressAllowed(k.allowFrom, '10.2.0.1'));
  assert.ok(!addressAllowed(k.allowFrom, '127.0.0.1'));
});
