// One command, three ingresses (SMS, the WebSocket `cmd` frame, HTTP): the same use case answers each,
// a WS command at a group that does not exist is refused as not_found, and every text to a person is
// in the language one rule picks (issue 10, item 4).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { RawWs } from '../helpers/workload.ts';

const OWNER = '+8613700137000';

describe('commands from every ingress', () => {
  let s: TestServer;
  let token = '';
  let groupId = 0;
  let address = '';
  before(async () => {
    // British numbers are invited below: their region must be allowed (QUN_SMS_ALLOWED_REGIONS).
    s = await startTestServer({ QUN_SMS_ALLOWED_REGIONS: 'CN,GB' });
    token = await s.api.signIn(OWNER, () => s.settle());
    const g = await s.api.req('POST', '/v1/groups', { name: 'Ingress' }, token);
    groupId = g.json.id;
    address = g.json.address;
  });
  after(() => s.close());

  test('a WS command at an unknown group is a not_found error, never a reply from group "0"', async () => {
    const ws = new RawWs(s.url);
    try {
      await ws.auth(token);
      ws.send({ t: 'cmd', g: 987_654, rid: 'r-unknown', text: 'LIST' });
      const answer = await ws.waitFor((f) => f.rid === 'r-unknown', 5000, 'answer');
      assert.equal(answer.t, 'error', JSON.stringify(answer));
      assert.equal(answer.code, 'not_found');
      // The same command at a real group of the member still works, and says so in text.
      ws.send({ t: 'cmd', g: groupId, rid: 'r-real', text: 'LIST' });
      const real = await ws.waitFor((f) => f.rid === 'r-real', 5000, 'list');
      assert.equal(real.t, 'cmd_result');
      assert.match(real.text, /Ingress/);
      assert.match(real.text, /\+8613700137000 \(owner\)/);
    } finally {
      ws.close();
    }
  });

  test("an invitation is written in the invitee's language whichever ingress the inviter used", async () => {
    // The inviter is a +86 number typing English keywords; the invitees are British numbers.
    const bySms = '+447400123401';
    const byWs = '+447400123402';
    const byHttp = '+447400123403';
    await s.api.sms(OWNER, address, `G ${bySms}`);
    const ws = new RawWs(s.url);
    try {
      await ws.auth(token);
      ws.send({ t: 'cmd', g: groupId, rid: 'inv', text: `G ${byWs}` });
      const r = await ws.waitFor((f) => f.rid === 'inv', 5000, 'invite report');
      assert.equal(r.t, 'cmd_result');
      assert.match(r.text, /Invited: \+447400123402/);
    } finally {
      ws.close();
    }
    const h = await s.api.req('POST', `/v1/groups/${groupId}/invitations`, { phones: [byHttp] }, token);
    assert.equal(h.status, 200);
    await s.settle();
    const texts = new Map<string, string>();
    for (const p of [bySms, byWs, byHttp]) texts.set(p, (await s.api.texts(p)).at(-1)?.text ?? '');
    for (const [p, t] of texts) assert.match(t, /invited you to "Ingress"\. Reply Y/, `${p}: ${t}`);
  });

  test('a reply to the sender follows the keyword typed, in SMS and WS alike', async () => {
    await s.api.sms(OWNER, address, '成员');
    await s.settle();
    const sms = (await s.api.texts(OWNER)).at(-1)!.text;
    const ws = new RawWs(s.url);
    try {
      await ws.auth(token);
      ws.send({ t: 'cmd', g: groupId, rid: 'zh', text: '成员' });
      const r = await ws.waitFor((f) => f.rid === 'zh', 5000, 'list');
      assert.equal(r.text, sms);
      assert.match(r.text, /^群「Ingress」共/);
    } finally {
      ws.close();
    }
  });
});
