// Qun with QUN_SMS_GATEWAY=twilio against the fake provider, over real sockets and a real SQLite file:
// a signed inbound text makes a group and its reply goes out through the provider, status callbacks mark
// texts delivered, 21610 opts a number out for good, and forged or replayed webhooks change nothing.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { eventually, startTestServer, type TestServer } from '../../helpers/server.ts';
import { FakeTwilio, newSid } from '../../helpers/twilio/fake-twilio.ts';
import { PUBLIC_BASE, twilioEnv } from '../../helpers/twilio/harness.ts';

const NUMBER = '+15005550006';
const OWNER = '+8613800138000';
const B = '+8613800138001';
const C = '+8613800138002';

describe('Qun over the twilio gateway', () => {
  let fake: FakeTwilio;
  let s: TestServer;
  let db: Database.Database;
  const row = (sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as Record<string, unknown>;
  const textsTo = (phone: string) => fake.messages.filter((m) => m.to === phone);
  const attemptsTo = (phone: string) => fake.attempts.filter((a) => a.to === phone).length;
  const inbound = async (from: string, text: string, sid?: string) => {
    const r = await fake.inbound({ from, to: NUMBER, text, ...(sid ? { sid } : {}) });
    assert.equal(r.status, 200, r.body);
    await s.settle();
  };

  before(async () => {
    fake = await FakeTwilio.start();
    // The Twilio number is the service number: CREATE texted to it names no group.
    const env = { QUN_SMS_GATEWAY: 'twilio', QUN_SERVICE_NUMBER: NUMBER.slice(1), ...twilioEnv(fake.url) };
    s = await startTestServer(env, { env: { ...process.env, ...env } }, { sqliteFile: true });
    fake.connect(PUBLIC_BASE, s.url);
    db = new Database(path.join(s.dataDir, 'qun.db'), { readonly: true, fileMustExist: true });
  });
  after(async () => {
    db?.close();
    await s?.close();
    await fake?.close();
  });

  test('CREATE by webhook makes a group; the reply goes out through the provider', async () => {
    const sid = newSid('SM');
    await inbound(OWNER, 'CREATE Hiking', sid);
    const reply = await eventually(() => textsTo(OWNER)[0], 5000, 'the reply');
    assert.match(reply.body, /Hiking/);
    assert.equal(reply.from, NUMBER);
    assert.equal(row('SELECT count(*) AS n FROM groups').n, 1);

    // Twilio retries a webhook it thinks failed: same MessageSid, nothing happens twice.
    await inbound(OWNER, 'CREATE Hiking', sid);
    assert.equal(row('SELECT count(*) AS n FROM groups').n, 1);
    assert.equal(textsTo(OWNER).length, 1);
  });

  test('a status callback marks the text delivered; a forged one changes nothing', async () => {
    const sid = textsTo(OWNER)[0]!.sid;
    const state = () => row('SELECT state FROM outbound_sms WHERE gateway_ref = ?', sid).state;
    assert.equal(state(), 'submitted');
    assert.equal((await fake.status(sid, 'failed', undefined, { signature: null })).status, 403);
    assert.equal(state(), 'submitted');
    assert.equal((await fake.status(sid, 'sent')).status, 204);
    assert.equal((await fake.status(sid, 'delivered')).status, 204);
    await eventually(() => (state() === 'delivered' ? true : undefined), 5000, 'delivered');
    // A replayed callback is harmless.
    assert.equal((await fake.status(sid, 'delivered')).status, 204);
    assert.equal(state(), 'delivered');
  });

  test('a forged inbound text creates nothing', async () => {
    const before = row('SELECT count(*) AS n FROM users').n;
    const r = await fake.inbound({ from: C, to: NUMBER, text: 'CREATE Forged' }, { signature: 'AAAA' });
    assert.equal(r.status, 403);
    const r2 = await fake.inbound(
      { from: C, to: NUMBER, text: 'HELP' },
      { alter: (p) => ({ ...p, Body: 'CREATE Forged' }) },
    );
    assert.equal(r2.status, 403);
    await s.settle();
    assert.equal(row('SELECT count(*) AS n FROM users').n, before);
    assert.equal(row('SELECT count(*) AS n FROM groups').n, 1);
    assert.equal(attemptsTo(C), 0);
  });

  test('21610 on submit opts the number out; the queue never sends to it again', async () => {
    fake.optedOut.add(B);
    await inbound(B, 'HELP');
    await eventually(() => (attemptsTo(B) === 1 ? true : undefined), 5000, 'the refused attempt');
    await s.settle();
    const failed = row('SELECT state, error FROM outbound_sms WHERE to_phone = ?', B);
    assert.equal(failed.state, 'failed');
    assert.match(String(failed.error), /^21610/);
    assert.equal(row('SELECT sms_opted_out AS o FROM users WHERE phone = ?', B).o, 1);

    await inbound(B, 'HELP');
    await new Promise((r) => setTimeout(r, 300));
    await s.settle();
    assert.equal(attemptsTo(B), 1, 'no second attempt');
    assert.equal(
      row("SELECT count(*) AS n FROM outbound_sms WHERE to_phone = ? AND state = 'cancelled'", B).n,
      1,
    );
  });

  test('21610 in a status callback opts the number out too', async () => {
    await inbound(C, 'HELP');
    const m = await eventually(() => textsTo(C)[0], 5000, 'the help text');
    assert.equal((await fake.status(m.sid, 'undelivered', '21610')).status, 204);
    assert.equal(row('SELECT sms_opted_out AS o FROM users WHERE phone = ?', C).o, 1);
    await eventually(
      () =>
        row('SELECT state FROM outbound_sms WHERE gateway_ref = ?', m.sid).state === 'failed'
          ? true
          : undefined,
      5000,
      'failed receipt',
    );
  });

  test('the webhooks are listed in the OpenAPI document', async () => {
    const spec = (await s.api.req('GET', '/openapi.json')).json;
    assert.ok(spec.paths['/v1/sms/twilio/inbound']?.post);
    assert.ok(spec.paths['/v1/sms/twilio/status']?.post);
  });
});
