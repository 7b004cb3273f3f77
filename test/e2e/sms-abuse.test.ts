// SMS abuse closed off (issue 12): single-number commands find the last group; high-cost numbers get
// no codes or invitations; replies, the daily cap and group creation are capped with the figures the
// caps allow; forged confirmation attempts are locked out without texting the owner a storm; display
// names cannot pass as phone numbers. Real server, real sockets, real SQLite file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const SERVICE = '10658';
const addressIn = (text: string) => /(1065801\d{4,})/.exec(text)?.[1] ?? '';
const metric = async (s: TestServer, kind: string): Promise<number> => {
  const text = String((await s.api.req('GET', '/metrics')).json);
  return Number(new RegExp(`qun_rate_limited_total\\{kind="${kind}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
};

describe('single-number addressing: commands go to the group last used', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ QUN_SMS_ADDRESSING: 'single', QUN_SMS_NUMBER: '8610690000' });
  });
  after(() => s.close());

  test('G right after CREATE invites to the new group; LIST after a second CREATE lists that one', async () => {
    const owner = '+8613900139000';
    const sms = async (text: string) => {
      await s.api.sms(owner, '8610690000', text);
      await s.settle();
      return (await s.api.texts(owner)).at(-1)!.text;
    };
    assert.match(await sms('CREATE Walkers'), /Walkers/);
    const report = await sms('G 13900139001');
    assert.match(report, /Invites to "Walkers"\. Invited: \+8613900139001/, report);
    // The invitee's number is Chinese, so the invitation is written in Chinese (docs/sms-commands.md).
    assert.match((await s.api.texts('+8613900139001')).at(-1)!.text, /邀请您加入群「Walkers」/);
    await sms('CREATE Runners');
    assert.match(await sms('LIST'), /^"Runners", 1 members: \+8613900139000 \(owner\)/);
  });
});

describe('high-cost numbers get no sign-in codes and no invitations', () => {
  let s: TestServer;
  // The regions of every number below are allowed: what refuses them is their type (or no region).
  const HIGH_COST = [
    '+19005550123',
    '+449091234567',
    '+448712345678',
    '+881612345678',
    '+883510012345',
    '+33899123456',
  ];
  before(async () => {
    s = await startTestServer({ QUN_SMS_ALLOWED_REGIONS: 'CN,US,GB,FR' });
  });
  after(() => s.close());

  test('a sign-in code is refused by number type and region, and nothing is texted', async () => {
    for (const phone of HIGH_COST) {
      const r = await s.api.req('POST', '/v1/auth/code', { phone });
      assert.equal(r.status, 400, phone);
      assert.equal(r.json.error.code, 'number_not_allowed', phone);
    }
    assert.equal((await s.api.req('POST', '/v1/auth/code', { phone: '+8613900139100' })).status, 202);
    assert.equal((await s.api.req('POST', '/v1/auth/code', { phone: '+447400123456' })).status, 202);
    // Germany is not in the list: an ordinary German mobile is refused by region.
    assert.equal(
      (await s.api.req('POST', '/v1/auth/code', { phone: '+4915123456789' })).json.error.code,
      'number_not_allowed',
    );
    await s.settle();
    for (const phone of HIGH_COST) assert.equal((await s.api.texts(phone)).length, 0, phone);
    assert.equal(await metric(s, 'number_type'), 4, '+1900, +44909, +44871, +33899');
    assert.equal(await metric(s, 'number_region'), 3, '+881 and +883 have no region; +49 is not listed');
  });

  test('invitations by SMS and HTTP skip them and say so', async () => {
    const owner = '+8613900139101';
    await s.api.sms(owner, SERVICE, 'CREATE Costly');
    await s.settle();
    const address = addressIn((await s.api.texts(owner)).at(-1)!.text);
    await s.api.sms(owner, address, 'G +19005550123 +881612345678 13900139102');
    await s.settle();
    const report = (await s.api.texts(owner)).at(-1)!.text;
    assert.match(report, /Invited: \+8613900139102/);
    assert.match(report, /Not texted \(premium, satellite or other region\): \+19005550123, \+881612345678/);
    const token = await s.api.signIn(owner, () => s.settle());
    const id = (await s.api.req('GET', '/v1/groups', undefined, token)).json.groups[0].id;
    const r = await s.api.req('POST', `/v1/groups/${id}/invitations`, { phones: ['+33899123456'] }, token);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.notAllowed, ['+33899123456']);
    await s.settle();
    for (const phone of ['+19005550123', '+881612345678', '+33899123456'])
      assert.equal((await s.api.texts(phone)).length, 0, phone);
  });
});

describe('reply and group caps, with the figures they allow', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ QUN_SMS_REPLIES_PER_HOUR: '5', QUN_GROUPS_PER_PHONE_PER_DAY: '3' });
  });
  after(() => s.close());

  test('1,000 CREATE from one phone: 3 groups and 5 replies', async () => {
    const phone = '+8613900139200';
    for (let i = 0; i < 1000; i++) await s.api.sms(phone, SERVICE, `CREATE Farm ${i}`);
    await s.settle();
    const texts = await s.api.texts(phone);
    assert.equal(texts.length, 5);
    assert.equal(texts.filter((t) => /^Group "Farm \d+" created/.test(t.text)).length, 3);
    assert.match(texts[3]!.text, /You have created 3 groups today/);
    const token = await s.api.signIn(phone, () => s.settle());
    assert.equal((await s.api.req('GET', '/v1/groups', undefined, token)).json.groups.length, 3);
    assert.equal(await metric(s, 'groups_per_phone'), 997);
    assert.equal(await metric(s, 'sms_replies'), 995);
    const more = await s.api.req('POST', '/v1/groups', { name: 'By app' }, token);
    assert.equal(more.status, 429, 'the same cap holds over HTTP');
  });

  test('200 HELP: 5 replies; 300 texts to unknown group addresses: 5 replies', async () => {
    const helper = '+8613900139201';
    for (let i = 0; i < 200; i++) await s.api.sms(helper, SERVICE, 'HELP');
    const prober = '+8613900139202';
    for (let i = 0; i < 300; i++) await s.api.sms(prober, `1065801${5_000_000 + i}`, 'hello');
    await s.settle();
    assert.equal((await s.api.texts(helper)).length, 5);
    assert.equal((await s.api.texts(prober)).length, 5);
  });
});

describe('the daily cap counts every text a stranger can cause, and no group texts', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ QUN_SMS_DAILY_CAP: '10' });
  });
  after(() => s.close());

  test('30 strangers texting HELP get 4 replies once members used 6; group texts still flow', async () => {
    const owner = '+8613900139300';
    const a = '+8613900139301';
    const b = '+8613900139302';
    const sms = async (from: string, to: string, text: string) => {
      await s.api.sms(from, to, text);
      await s.settle();
    };
    await sms(owner, SERVICE, 'CREATE Daily'); // reply 1
    const address = addressIn((await s.api.texts(owner)).at(-1)!.text);
    await sms(owner, address, 'G 13900139301 13900139302'); // two invitations and a report: 4
    await sms(a, address, 'Y'); // 5
    await sms(b, address, 'Y'); // 6
    for (let i = 0; i < 20; i++) await sms(owner, address, `notice ${i}`);
    assert.equal((await s.api.texts(a)).length, 1 + 1 + 20, 'invitation, joined, 20 group texts');
    let answered = 0;
    for (let i = 0; i < 30; i++) {
      const stranger = `+86139001394${String(i).padStart(2, '0')}`;
      await sms(stranger, SERVICE, 'HELP');
      answered += (await s.api.texts(stranger)).length;
    }
    assert.equal(answered, 4, '10 per day, 6 already used');
    assert.equal(await metric(s, 'pumping_daily'), 26);
    const code = await s.api.req('POST', '/v1/auth/code', { phone: '+8613900139399' });
    assert.equal(code.status, 429, 'codes share the same daily cap');
    await sms(owner, address, 'after the cap');
    assert.match((await s.api.texts(b)).at(-1)!.text, /after the cap/, 'group texts are not capped by it');
  });
});

describe('confirmation codes for membership changes by SMS', () => {
  let s: TestServer;
  const owner = '+8613900139500';
  const member = '+8613900139501';
  let address = '';
  before(async () => {
    s = await startTestServer({ QUN_SMS_REPLIES_PER_HOUR: '1000' });
    await s.api.sms(owner, SERVICE, 'CREATE Guarded');
    await s.settle();
    address = addressIn((await s.api.texts(owner)).at(-1)!.text);
    await s.api.sms(owner, address, 'G 13900139501');
    await s.settle();
    await s.api.sms(member, address, 'Y');
    const token = await s.api.signIn(owner, () => s.settle());
    const id = (await s.api.req('GET', '/v1/groups', undefined, token)).json.groups[0].id;
    await s.api.req('PATCH', `/v1/groups/${id}`, { confirmAdminSms: true }, token);
    await s.settle();
  });
  after(() => s.close());

  test('150 forged DEL + CONFIRM pairs text the owner 6 times, then lock out; the member stays', async () => {
    const before = (await s.api.texts(owner)).length;
    await s.api.sms(owner, address, 'DEL 13900139501');
    for (let i = 0; i < 150; i++) {
      await s.api.sms(owner, address, 'DEL 13900139501');
      await s.api.sms(owner, address, `CONFIRM ${String(100_000 + i * 7).padStart(6, '0')}`);
    }
    await s.settle();
    const texts = (await s.api.texts(owner)).slice(before).map((t) => t.text);
    assert.equal(texts.length, 6, texts.join('\n'));
    assert.equal(
      texts.filter((t) => /reply CONFIRM \d{6} within/.test(t)).length,
      3,
      '6-digit codes, 3 of them',
    );
    assert.equal(texts.filter((t) => /wrong or expired/.test(t)).length, 2);
    assert.match(texts.at(-1)!, /too many wrong codes\. Changes by text are paused for 60 min/);
    assert.equal(await metric(s, 'confirm_locked'), 1);
    await s.api.sms(owner, address, 'LIST');
    await s.settle();
    assert.match((await s.api.texts(owner)).at(-1)!.text, /2 members/);
  });
});

describe('display names cannot pass as phone numbers', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  test('a name that is a number is refused; texts show the name with the last digits', async () => {
    const owner = '+8613900139600';
    const bob = '+8613900139601';
    await s.api.sms(owner, SERVICE, 'CREATE Named');
    await s.settle();
    const address = addressIn((await s.api.texts(owner)).at(-1)!.text);
    await s.api.sms(owner, address, 'G 13900139601');
    await s.settle();
    await s.api.sms(bob, address, 'Y');
    const token = await s.api.signIn(bob, () => s.settle());
    for (const name of [
      '+8613200132101',
      '132 0013 2101',
      '＋８６１３２００１３２１０１',
      'Bob 132-0013-2101',
    ]) {
      const r = await s.api.req('PATCH', '/v1/me', { name }, token);
      assert.equal(r.status, 400, name);
      assert.equal(r.json.error.code, 'invalid_name');
    }
    assert.equal((await s.api.req('PATCH', '/v1/me', { name: 'Bob' }, token)).status, 200);
    const id = (await s.api.req('GET', '/v1/groups', undefined, token)).json.groups[0].id;
    await s.api.req('POST', `/v1/groups/${id}/messages`, { body: 'hello all' }, token);
    await s.settle();
    assert.match((await s.api.texts(owner)).at(-1)!.text, /\] Bob \(\*9601\): hello all$/);
    await s.api.req('POST', `/v1/groups/${id}/invitations`, { phones: ['13900139602'] }, token);
    await s.settle();
    assert.match((await s.api.texts('+8613900139602')).at(-1)!.text, /^Bob \(\*9601\) 邀请您加入群/);
  });
});
