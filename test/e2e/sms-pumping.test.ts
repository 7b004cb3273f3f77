// SMS pumping: strangers cannot make Qun send more sign-in codes or invitations than the caps allow —
// per number, per client address and per day — and refusals show in a metric.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** POST /v1/auth/code from a chosen loopback source address (the per-address cap keys on it). */
function requestCode(url: string, phone: string, localAddress: string): Promise<number> {
  const u = new URL('/v1/auth/code', url);
  const body = JSON.stringify({ phone });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('SMS pumping caps', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({
      QUN_SIGNIN_CODES_PER_ADDRESS_PER_HOUR: '5',
      QUN_SIGNIN_CODES_PER_HOUR: '2',
      QUN_INVITES_PER_NUMBER_PER_DAY: '3',
      QUN_SMS_DAILY_CAP: '40',
    });
  });
  after(() => s.close());

  const codesSent = async (phones: string[]) => {
    await s.settle();
    let n = 0;
    for (const p of phones) n += (await s.api.texts(p)).filter((t) => /\d{6}/.test(t.text)).length;
    return n;
  };

  test('one client address gets at most its hourly codes, whatever numbers it asks for', async () => {
    const phones = Array.from({ length: 30 }, (_, i) => `+86137${String(10_000_000 + i).padStart(8, '0')}`);
    const statuses = [];
    for (const p of phones) statuses.push(await requestCode(s.url, p, '127.0.0.1'));
    assert.equal(statuses.filter((x) => x === 202).length, 5);
    assert.equal(statuses.filter((x) => x === 429).length, 25);
    assert.equal(await codesSent(phones), 5);
  });

  test('one number gets at most its hourly codes, from any address', async () => {
    const phone = '+8613799999999';
    let ok = 0;
    for (let i = 0; i < 6; i++) if ((await requestCode(s.url, phone, `127.0.1.${i + 1}`)) === 202) ok++;
    assert.equal(ok, 2);
    assert.equal(await codesSent([phone]), 2);
  });

  test('the daily cap holds across many addresses and numbers', async () => {
    const phones = Array.from({ length: 100 }, (_, i) => `+86136${String(10_000_000 + i).padStart(8, '0')}`);
    for (const [i, p] of phones.entries())
      await requestCode(s.url, p, `127.0.${2 + Math.floor(i / 4)}.${(i % 4) + 1}`);
    const total = await s.api.req('GET', '/metrics');
    assert.match(String(total.json), /qun_rate_limited_total\{kind="pumping_daily"\} [1-9]/);
    assert.match(String(total.json), /qun_rate_limited_total\{kind="pumping_address"\} [1-9]/);
    assert.ok((await codesSent(phones)) <= 40 - 7, 'codes stay under the daily cap');
  });

  test('one number receives at most its daily invitations, whoever invites it', async () => {
    const s2 = await startTestServer({ QUN_INVITES_PER_NUMBER_PER_DAY: '3' });
    try {
      const victim = '+8613511112222';
      for (let i = 0; i < 6; i++) {
        const owner = `+86135000000${String(i).padStart(2, '0')}`;
        await s2.api.sms(owner, '10658', `CREATE Club ${i}`);
        await s2.settle();
        const address = /(1065801\d{4,})/.exec((await s2.api.texts(owner)).at(-1)!.text)![1]!;
        await s2.api.sms(owner, address, 'G 13511112222');
      }
      await s2.settle();
      assert.equal((await s2.api.texts(victim)).length, 3);
    } finally {
      await s2.close();
    }
  });
});
