// The patent replayed by SMS alone, against a real server over real sockets and a real SQLite file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const OWNER = '+8613800138000';
const A = '+8613800138001';
const B = '+8613800138002';
const C = '+8613800138003';
const SERVICE = '10658';

describe('a group run by SMS commands', () => {
  let s: TestServer;
  let address = '';
  const last = async (phone: string) => (await s.api.texts(phone)).at(-1)?.text ?? '';
  const count = async (phone: string) => (await s.api.texts(phone)).length;
  const sms = async (from: string, to: string, text: string) => {
    const outcome = await s.api.sms(from, to, text);
    await s.settle();
    return outcome;
  };

  before(async () => {
    s = await startTestServer({ QUN_MEMBER_CAP: '4' });
  });
  after(async () => {
    await s.close();
  });

  test('CREATE at the service number makes a group and replies with its address', async () => {
    await sms(OWNER, SERVICE, 'CREATE Hiking club');
    const reply = await last(OWNER);
    const m = /(1065801\d{4,})/.exec(reply);
    assert.ok(m, `reply names the group address: ${reply}`);
    address = m[1]!;
    assert.match(reply, /Hiking club/);
  });

  test('G invites three numbers; each invitee gets a text naming the group and inviter', async () => {
    await sms(OWNER, address, 'G 13800138001 13800138002 13800138003');
    for (const p of [A, B, C]) {
      const t = await s.api.texts(p);
      assert.equal(t.length, 1);
      assert.match(t[0]!.text, /Hiking club/);
      assert.match(t[0]!.text, /13800138000/);
      assert.equal(
        t[0]!.from,
        address,
        'the invitation comes from the group address so that Y goes back to it',
      );
    }
  });

  test('two accept and one declines', async () => {
    assert.equal(await sms(A, address, 'Y'), 'command');
    assert.match(await last(A), /Hiking club/);
    assert.equal(await sms(B, address, 'join'), 'command');
    assert.equal(await sms(C, address, 'N'), 'command');
    await sms(OWNER, address, 'LIST');
    const list = await last(OWNER);
    assert.match(list, /13800138001/);
    assert.match(list, /13800138002/);
    assert.doesNotMatch(list, /13800138003/);
  });

  test('a message reaches the other accepted members once each, not the sender nor the decliner', async () => {
    const before = { owner: await count(OWNER), a: await count(A), b: await count(B), c: await count(C) };
    assert.equal(await sms(A, address, 'Meet at 8 at the north gate'), 'message');
    assert.equal(await count(OWNER), before.owner + 1);
    assert.equal(await count(B), before.b + 1);
    assert.equal(await count(A), before.a, 'no echo to the sender');
    assert.equal(await count(C), before.c, 'the decliner gets nothing');
    assert.match(await last(B), /Meet at 8 at the north gate/);
    assert.equal((await s.api.texts(B)).at(-1)!.from, address);
  });

  test('DEL by a non-admin is refused and changes nothing', async () => {
    await sms(A, address, 'DEL 13800138002');
    assert.match(await last(A), /admin/i);
    const before = await count(B);
    await sms(OWNER, address, 'still here?');
    assert.equal(await count(B), before + 1, 'B is still a member');
  });

  test('a non-member posting gets the generic reply and nothing is delivered', async () => {
    const before = await count(OWNER);
    assert.equal(await sms(C, address, 'let me in'), 'rejected');
    assert.equal(await count(OWNER), before);
    const generic = await last(C);
    await sms(C, '1065801999999', 'hello');
    assert.equal(await last(C), generic, 'an unknown group and a group you are not in look the same');
  });

  test('the cap refuses the invite beyond it with a clear reply', async () => {
    // cap 4: owner, A, B active; C declined; one more fits, the second does not
    await sms(OWNER, address, 'G 13800138005 13800138006');
    assert.match(await last(OWNER), /cap|full|4/i);
    assert.equal(await count('+8613800138005'), 1);
    assert.equal(await count('+8613800138006'), 0);
  });

  test('QUIT works: the member leaves and gets no more messages', async () => {
    await sms(B, address, 'QUIT');
    const before = await count(B);
    await sms(OWNER, address, 'after B left');
    assert.equal(await count(B), before);
  });

  test('STOP ends all texts to that number, except one confirmation; START undoes it', async () => {
    await sms(OWNER, address, 'STOP');
    const confirmed = await count(OWNER);
    await sms(A, address, 'can the owner hear me?');
    await sms(OWNER, SERVICE, 'HELP');
    assert.equal(await count(OWNER), confirmed, 'nothing after the confirmation');
    await sms(OWNER, SERVICE, 'START');
    assert.equal(await count(OWNER), confirmed + 1);
  });

  test('Chinese commands work and replies come in Chinese', async () => {
    await sms('+8613900139000', SERVICE, '建群 徒步俱乐部');
    const reply = await last('+8613900139000');
    assert.match(reply, /徒步俱乐部/);
    const cn = /(1065801\d{4,})/.exec(reply)![1]!;
    await sms('+8613900139000', cn, '邀请 13900139001');
    assert.match(await last('+8613900139001'), /徒步俱乐部/);
    await sms('+8613900139001', cn, '是');
    await sms('+8613900139000', cn, '成员');
    assert.match(await last('+8613900139000'), /13900139001/);
    await sms('+8613900139001', cn, '大家好');
    assert.match(await last('+8613900139000'), /大家好/);
  });

  test('unknown command, unknown app and over-long text get clear replies', async () => {
    await sms(A, SERVICE, 'FOO');
    assert.match(await last(A), /HELP/i);
    await sms(A, '1065809', 'CREATE x');
    assert.match(await last(A), /09/);
    const before = await count(OWNER);
    await sms(A, address, 'x'.repeat(2001));
    assert.match(await last(A), /2000/);
    assert.equal(await count(OWNER), before, 'nothing delivered');
  });

  test('the announcement app: members reply to admins only', async () => {
    await sms(OWNER, '1065802', 'CREATE Parents');
    const ann = /(1065802\d{4,})/.exec(await last(OWNER))![1]!;
    await sms(OWNER, ann, 'G 13800138001 13800138007');
    await sms(A, ann, 'Y');
    await sms('+8613800138007', ann, 'Y');
    const before7 = await count('+8613800138007');
    await sms(A, ann, 'Is school open tomorrow?');
    assert.match(await last(OWNER), /Is school open tomorrow/);
    assert.equal(await count('+8613800138007'), before7, 'another member does not see a reply');
    assert.match(await last(A), /admin/i);
    await sms(OWNER, ann, 'School is open.');
    assert.match(await last('+8613800138007'), /School is open/);
  });
});
