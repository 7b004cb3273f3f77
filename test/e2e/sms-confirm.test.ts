// SMS spoofing: in a group that asks for it, membership changes sent by SMS wait for a code texted to the
// sender's real phone, so a forged sender number cannot remove or add members.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const OWNER = '+8613300133000';
const MEMBER = '+8613300133001';
let s: TestServer;
let address = '';

before(async () => {
  s = await startTestServer();
  const sms = async (from: string, to: string, text: string) => {
    await s.api.sms(from, to, text);
    await s.settle();
  };
  await sms(OWNER, '10658', 'CREATE Guarded');
  address = /(1065801\d{4,})/.exec((await s.api.texts(OWNER)).at(-1)!.text)![1]!;
  await sms(OWNER, address, 'G 13300133001');
  await sms(MEMBER, address, 'Y');
  const token = await s.api.signIn(OWNER, () => s.settle());
  const id = (await s.api.req('GET', '/v1/groups', undefined, token)).json.groups[0].id;
  const p = await s.api.req('PATCH', `/v1/groups/${id}`, { confirmAdminSms: true }, token);
  assert.equal(p.json.confirmAdminSms, true);
});
after(() => s.close());

const last = async (phone: string) => (await s.api.texts(phone)).at(-1)!.text;
const memberCount = async () => {
  await s.api.sms(OWNER, address, 'LIST');
  await s.settle();
  return (await last(OWNER)).match(/\+?86133\d{8}|133\d{8}/g)?.length ?? 0;
};

test('a membership change waits for the code; a wrong code changes nothing; the right one applies it', async () => {
  assert.equal(await memberCount(), 2);
  await s.api.sms(OWNER, address, 'DEL 13300133001');
  await s.settle();
  const ask = await last(OWNER);
  const code = /CONFIRM (\d{6})\b/.exec(ask)?.[1];
  assert.ok(code, ask);
  assert.equal(await memberCount(), 2, 'nothing changed before the code');
  const wrong = code === '111111' ? '222222' : '111111';
  await s.api.sms(OWNER, address, `CONFIRM ${wrong}`);
  await s.settle();
  assert.match(await last(OWNER), /wrong or expired/);
  // The wrong guess dropped the pending command: the right code no longer works either.
  await s.api.sms(OWNER, address, `CONFIRM ${code}`);
  await s.settle();
  assert.match(await last(OWNER), /wrong or expired/);
  assert.equal(await memberCount(), 2);
  await s.api.sms(OWNER, address, 'DEL 13300133001');
  await s.settle();
  const code2 = /CONFIRM (\d{6})\b/.exec(await last(OWNER))![1]!;
  await s.api.sms(OWNER, address, `CONFIRM ${code2}`);
  await s.settle();
  assert.match(await last(OWNER), /13300133001/);
  assert.equal(await memberCount(), 1);
});
