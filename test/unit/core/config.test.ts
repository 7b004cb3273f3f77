// The configuration: defaults load, bad values are all reported at once, and docs/configuration.md
// names every setting and docs/api.md every error (so the docs cannot drift from the code).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { AppRegistry } from '../../../src/apps/registry.ts';
import { allGatewaySettings } from '../../../src/channels/sms/gateways/registry.ts';
import { ConfigError, loadConfig } from '../../../src/config/config.ts';
import { SETTINGS } from '../../../src/config/schema.ts';
import { ERRORS } from '../../../src/errors/catalogue.ts';
import { ROOT } from '../../helpers/server.ts';

test('defaults', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.serviceNumber, '10658');
  assert.equal(c.smsGateway, 'sim');
  assert.equal(c.liveAckTimeout, 10_000);
  assert.equal(c.webOnlineTtl, 120_000);
  assert.equal(c.reminderDelay, 600_000);
  assert.equal(c.publicUrl, 'http://localhost:8080');
});

test('every bad value is reported at once', () => {
  assert.throws(
    () => loadConfig({ PORT: 'abc', QUN_LIVE_ACK_TIMEOUT: 'soon', QUN_DEFAULT_REGION: 'china' }),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 3,
  );
});

test('an unknown gateway stops start-up naming the valid ones', async () => {
  const { createGateway } = await import('../../../src/channels/sms/gateways/registry.ts');
  assert.throws(
    () => createGateway('carrier-pigeon', {} as never),
    /valid gateways: sim, smpp, kannel, twilio/,
  );
});

test('unknown or duplicate app numbers stop start-up naming the valid ones', () => {
  assert.throws(() => new AppRegistry('01=group-chat,02=nope', 2), /valid kinds: group-chat, announcements/);
  assert.throws(() => new AppRegistry('01=group-chat,01=announcements', 2), /given twice/);
  assert.throws(() => new AppRegistry('1=group-chat', 2), /exactly 2 digits/);
});

test('docs/configuration.md documents every setting', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
  for (const s of [...Object.values(SETTINGS), ...Object.values(allGatewaySettings())]) {
    assert.ok(doc.includes(s.env), `${s.env} is documented`);
  }
});

test('docs/api.md lists every error code with its status and message', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
  for (const [code, e] of Object.entries(ERRORS)) {
    const line = doc.split('\n').find((l) => l.startsWith(`| \`${code}\``));
    assert.ok(line, `${code} is documented`);
    assert.match(
      line,
      new RegExp(`\\|\\s*${e.status}\\s*\\|\\s*${e.message.replace(/[.()?]/g, '\\$&')}\\s*\\|`),
    );
  }
});
