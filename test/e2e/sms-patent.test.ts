// The patent replayed by SMS alone, against a real server over real sockets and a real SQLite file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const OWNER = '+8613800138000';
const A = '+8613800138001';
const B = '+8613800138002';
const C = '+8613800138003';
const SERVICE = '10658';

const SINGLE = '8610690000';

for (const mode of ['extended', 'single'] as const)
  describe(`a group run by SMS commands (${mode} addressing)`, () => {
    let s: TestServer;
    let address = '';
    let groupNumber = '';
    /** Where a group text goes, and its text: its own number, or the single number with a #tag. */
    const g = (text: string, tagged = true): [string, string] =>
      mode === 'extended' ? [address, text] : [SINGLE, tagged ? `#${groupNumber} ${text}` : text];
    const last = async (phone: string) => (await s.api.texts(phone)).at(-1)?.text ?? '';
    const count = async (phone: string) => (await s.api.texts(phone)).length;
    const sms = async (from: string, to: string, text: string) => {
      const outcome = await s.api.sms(from, to, text);
      await s.settle();
      return outcome;
    };

    before(async () => {
      s = await startTestServer({
        QUN_MEMBER_CAP: '4',
        ...(mode === 'single' ? { QUN_SMS_ADDRESSING: 'single', QUN_SMS_NUMBER: SINGLE } : {}),
      });
    });
    after(async () => {
      await s.close();
    });

    test('CREATE at the service number makes a group and replies with its address', async () => {
      await sms(OWNER, mode === 'extended' ? SERVICE : SINGLE, 'CREATE Hiking club');
      const reply = await last(OWNER);
      const m =
        mode === 'extended'
          ? /(1065801(\d{4,}))/.exec(reply)
          : /(8610690000) \(#(\d{4,}) first\)/.exec(reply);
      assert.ok(m, `reply names the group address: ${reply}`);
      address = m[1]!;
      groupNumber = m[2]!;
      assert.match(reply, /Hiking club/);
    });

    test('G invites three numbers; each invitee gets a text naming the group and inviter', async () => {
      await sms(OWNER, ...g('G 13800138001 13800138002 13800138003'));
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
      assert.equal(await sms(A, ...g('Y', false)), 'command');
      assert.match(await last(A), /Hiking club/);
      assert.equal(await sms(B, ...g('join')), 'command');
      assert.equal(await sms(C, ...g('N', false)), 'command');
      await sms(OWNER, ...g('LIST'));
      const list = await last(OWNER);
      assert.match(list, /13800138001/);
      assert.match(list, /13800138002/);
      assert.doesNotMatch(list, /13800138003/);
    });

    test('a message reaches the other accepted members once each, not the sender nor the decliner', async () => {
      const before = { owner: await count(OWNER), a: await count(A), b: await count(B), c: await count(C) };
      assert.equal(await sms(A, ...g('Meet at 8 at the north gate', false)), 'message');
      assert.equal(await count(OWNER), before.owner + 1);
      assert.equal(await count(B), before.b + 1);
      assert.equal(await count(A), before.a, 'no echo to the sender');
      assert.equal(await count(C), before.c, 'the decliner gets nothing');
      assert.match(await last(B), /Meet at 8 at the north gate/);
      assert.equal((await s.api.texts(B)).at(-1)!.from, address);
      if (mode === 'single') assert.match(await last(B), new RegExp(`^\\[Hiking club #${groupNumber}\\]`));
    });

    test('DEL by a non-admin is refused and changes nothing', async () => {
      await sms(A, ...g('DEL 13800138002'));
      assert.match(await last(A), /admin/i);
      const before = await count(B);
      await sms(OWNER, ...g('still here?'));
      assert.equal(await count(B), before + 1, 'B is still a member');
    });

    test('a non-member posting gets the generic reply and nothing is delivered', async () => {
      const before = await count(OWNER);
      assert.equal(await sms(C, ...g('let me in')), 'rejected');
      assert.equal(await count(OWNER), before);
      const generic = await last(C);
      await sms(
        C,
        ...(mode === 'extended'
          ? (['1065801999999', 'hello'] as [string, string])
          : ([SINGLE, '#999999 hello'] as [string, string])),
      );
      assert.equal(await last(C), generic, 'an unknown group and a group you are not in look the same');
    });

    test('the cap refuses the invite beyond it with a clear reply', async () => {
      // cap 4: owner, A, B active; C declined; one more fits, the second does not
      await sms(OWNER, ...g('G 13800138005 13800138006'));
      assert.match(await last(OWNER), /cap|full|4/i);
      assert.equal(await count('+8613800138005'), 1);
      assert.equal(await count('+8613800138006'), 0);
    });

    test('QUIT works: the member leaves and gets no more messages', async () => {
      await sms(B, ...g('QUIT'));
      const before = await count(B);
      await sms(OWNER, ...g('after B left'));
      assert.equal(await count(B), before);
    });

    test('STOP ends all texts to that number, except one confirmation; START undoes it', async () => {
      await sms(OWNER, ...g('STOP', false));
      const confirmed = await count(OWNER);
      await sms(A, ...g('can the owner hear me?'));
      await sms(OWNER, SERVICE, 'HELP');
      assert.equal(await count(OWNER), confirmed, 'nothing after the confirmation');
      await sms(OWNER, SERVICE, 'START');
      assert.equal(await count(OWNER), confirmed + 1);
    });

    test('HELP explains the addressing', async () => {
      await sms(A, mode === 'extended' ? SERVICE : SINGLE, 'HELP');
      if (mode === 'single') assert.match(await last(A), /#<group number>/);
      else assert.doesNotMatch(await last(A), /#<group number>/);
    });

    // Extended addresses only: these texts go to numbers single-number mode does not use.

    if (mode === 'extended')
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

    // Extended addresses only: these texts go to numbers single-number mode does not use.

    if (mode === 'extended')
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

    // Extended addresses only: these texts go to numbers single-number mode does not use.

    if (mode === 'extended')
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
