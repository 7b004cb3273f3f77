// The Kannel webhooks refuse callers without the secret or from other addresses, with no effect at
// all; a redelivered text counts once; and delivery reports are matched by the id in our dlr-url.
// No Kannel is needed: the requests are what smsbox would send, and sendsms is a recording stand-in.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { type FakeSendsms, startFakeSendsms } from '../../helpers/kannel/fake-sendsms.ts';
import { eventually, startTestServer, type TestServer } from '../../helpers/server.ts';

const SECRET = 'test-secret-0123456789abcdef';
const OWNER = '+8613800138000';

describe('Kannel webhooks', () => {
  let sendsms: FakeSendsms;
  let s: TestServer;
  let fenced: TestServer;
  let db: Database.Database;

  const start = (extra: Record<string, string> = {}) => {
    const env = {
      QUN_SMS_GATEWAY: 'kannel',
      QUN_KANNEL_SENDSMS_URL: sendsms.url,
      QUN_KANNEL_USERNAME: 'qun',
      QUN_KANNEL_PASSWORD: 'pw',
      QUN_KANNEL_INBOUND_SECRET: SECRET,
      ...extra,
    };
    return startTestServer(env, { env: { ...process.env, ...env } }, { sqliteFile: true });
  };
  const inbound = (srv: TestServer, q: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${srv.url}/v1/sms/kannel/inbound?${new URLSearchParams(q)}`, { headers });
  const dlr = (q: Record<string, string>) => fetch(`${s.url}/v1/sms/kannel/dlr?${new URLSearchParams(q)}`);
  const mo = (text: string, id: string) => ({
    from: OWNER,
    to: '10658',
    text,
    coding: '0',
    charset: 'UTF-8',
    id,
  });
  const groups = () => (db.prepare('SELECT count(*) AS n FROM groups').get() as { n: number }).n;
  const outboundRow = (id: string) =>
    db.prepare('SELECT state, error FROM outbound_sms WHERE id = ?').get(Number(id)) as {
      state: string;
      error: string | null;
    };
  const quiet = async () => {
    await new Promise((r) => setTimeout(r, 200));
    await s.settle();
  };

  before(async () => {
    sendsms = await startFakeSendsms();
    s = await start();
    // Same secret, but only 192.0.2.0/24 may call: the test's own 127.0.0.1 must be refused.
    fenced = await start({ QUN_KANNEL_ALLOW_FROM: '192.0.2.0/24' });
    db = new Database(path.join(s.dataDir, 'qun.db'), { readonly: true });
  });
  after(async () => {
    db?.close();
    await s?.close();
    await fenced?.close();
    await sendsms?.close();
  });

  test('no secret, a wrong secret, or a disallowed address: 403 and nothing happens', async () => {
    const tries = [
      await inbound(s, mo('CREATE Nope', 'r1')),
      await inbound(s, { ...mo('CREATE Nope', 'r2'), secret: 'wrong-secret-0123456789' }),
      await inbound(s, mo('CREATE Nope', 'r3'), {
        authorization: `Basic ${Buffer.from('kannel:not-it').toString('base64')}`,
      }),
      await inbound(fenced, { ...mo('CREATE Nope', 'r4'), secret: SECRET }),
      await dlr({ id: '1', status: '1' }),
      await dlr({ id: '1', status: '1', secret: 'wrong-secret-0123456789' }),
    ];
    assert.deepEqual(
      tries.map((r) => r.status),
      [403, 403, 403, 403, 403, 403],
    );
    await quiet();
    assert.equal(groups(), 0, 'no group was made');
    assert.equal(sendsms.calls.length, 0, 'nothing was texted');
  });

  test('the secret works as a query parameter or as the basic auth password; the answer is empty', async () => {
    const r = await inbound(s, { ...mo('CREATE Hiking', 'kannel-id-1'), secret: SECRET });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '', 'Kannel would text a non-empty answer back to the phone');
    await eventually(() => (sendsms.calls.length === 1 ? true : undefined), 5000, 'the reply');
    const basic = await inbound(s, mo('HELP', 'kannel-id-2'), {
      authorization: `Basic ${Buffer.from(`kannel:${SECRET}`).toString('base64')}`,
    });
    assert.equal(basic.status, 200);
    await eventually(() => (sendsms.calls.length === 2 ? true : undefined), 5000, 'the HELP reply');
    assert.equal(groups(), 1);
  });

  test('a redelivered text (same Kannel id) is answered 200 and has no second effect', async () => {
    const before = sendsms.calls.length;
    const again = await inbound(s, { ...mo('CREATE Hiking', 'kannel-id-1'), secret: SECRET });
    assert.equal(again.status, 200);
    await quiet();
    assert.equal(groups(), 1, 'no second group');
    assert.equal(sendsms.calls.length, before, 'no second reply');
  });

  test('sendsms carries coding, charset and a dlr-url naming our id; receipts mark that text', async () => {
    const call = sendsms.calls[0]!;
    assert.equal(call.get('coding'), '0');
    assert.equal(call.get('charset'), 'UTF-8');
    assert.equal(call.get('to'), OWNER);
    assert.equal(call.get('dlr-mask'), '27');
    const url = new URL(call.get('dlr-url')!);
    assert.equal(url.pathname, '/v1/sms/kannel/dlr');
    assert.equal(url.searchParams.get('status'), '%d', 'left for Kannel to fill in');
    const id = url.searchParams.get('id')!;
    assert.equal(outboundRow(id).state, 'submitted');
    // An SMSC ack (8) is on the way, not the end: the text stays submitted.
    assert.equal((await dlr({ id, status: '8', answer: 'ACK/', secret: SECRET })).status, 200);
    assert.equal(outboundRow(id).state, 'submitted');
    const ok = await dlr({ id, status: '1', answer: 'id:1 stat:DELIVRD err:000', secret: SECRET });
    assert.equal(ok.status, 200);
    await eventually(() => (outboundRow(id).state === 'delivered' ? true : undefined), 5000, 'delivered');
  });

  test('a rejected part keeps the text failed even if another part is then delivered', async () => {
    const id = new URL(sendsms.calls[1]!.get('dlr-url')!).searchParams.get('id')!;
    const answer = 'NACK/0x0000000b/Invalid Destination Address';
    assert.equal((await dlr({ id, status: '16', answer, secret: SECRET })).status, 200);
    await eventually(() => (outboundRow(id).state === 'failed' ? true : undefined), 5000, 'failed');
    assert.match(outboundRow(id).error ?? '', /rejected by the SMSC.*Invalid Destination Address/);
    assert.equal((await dlr({ id, status: '1', secret: SECRET })).status, 200);
    await quiet();
    assert.equal(outboundRow(id).state, 'failed');
  });
});
