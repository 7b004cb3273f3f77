// The same flows through the HTTP API: sign-in by code, create, invite, accept, send (idempotent),
// history paging, and the operational endpoints. Real server, real sockets, real SQLite file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const OWNER = '+8613500135000';
const FRIEND = '+8613500135001';
const STRANGER = '+8613500135002';

describe('HTTP API', () => {
  let s: TestServer;
  let owner = '';
  let friend = '';
  let stranger = '';
  let groupId = 0;
  before(async () => {
    s = await startTestServer({ QUN_ADMIN_KEY: 'operator-key-0123456789' });
    owner = await s.api.signIn(OWNER, () => s.settle());
    friend = await s.api.signIn(FRIEND, () => s.settle());
    stranger = await s.api.signIn(STRANGER, () => s.settle());
  });
  after(() => s.close());

  test('sign-in refuses a wrong code and anonymous calls', async () => {
    assert.equal((await s.api.req('POST', '/v1/auth/token', { phone: OWNER, code: '000000' })).status, 401);
    assert.equal((await s.api.req('GET', '/v1/groups')).status, 401);
    assert.equal((await s.api.req('GET', '/v1/groups', undefined, 'forged-token')).status, 401);
    const bad = await s.api.req('POST', '/v1/auth/code', { phone: 'not a phone' });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_phone');
  });

  test('create, invite, accept', async () => {
    const g = await s.api.req('POST', '/v1/groups', { name: 'Field team' }, owner);
    assert.equal(g.status, 201);
    assert.match(g.json.address, /^1065801\d{4,}$/);
    groupId = g.json.id;
    const inv = await s.api.req(
      'POST',
      `/v1/groups/${groupId}/invitations`,
      { phones: ['13500135001', 'junk'] },
      owner,
    );
    assert.equal(inv.status, 200);
    assert.deepEqual(inv.json.invited, [FRIEND]);
    assert.deepEqual(inv.json.invalid, ['junk']);
    await s.settle();
    assert.match((await s.api.texts(FRIEND)).at(-1)!.text, /Field team/);
    const mine = await s.api.req('GET', '/v1/groups', undefined, friend);
    assert.equal(mine.json.invitations[0].groupId, groupId);
    assert.equal((await s.api.req('POST', `/v1/groups/${groupId}/join`, undefined, friend)).status, 200);
    assert.equal((await s.api.req('POST', `/v1/groups/${groupId}/join`, undefined, stranger)).status, 404);
  });

  test('send is durable and idempotent by clientMsgId; history pages', async () => {
    const first = await s.api.req(
      'POST',
      `/v1/groups/${groupId}/messages`,
      { body: 'hello', clientMsgId: 'c-1' },
      owner,
    );
    assert.equal(first.status, 201);
    const again = await s.api.req(
      'POST',
      `/v1/groups/${groupId}/messages`,
      { body: 'hello', clientMsgId: 'c-1' },
      owner,
    );
    assert.equal(again.json.seq, first.json.seq);
    assert.equal(again.json.duplicate, true);
    for (let i = 0; i < 5; i++)
      await s.api.req(
        'POST',
        `/v1/groups/${groupId}/messages`,
        { body: `m${i}`, clientMsgId: `c-m${i}` },
        friend,
      );
    const page1 = await s.api.req('GET', `/v1/groups/${groupId}/messages?after=0&limit=4`, undefined, friend);
    assert.equal(page1.json.messages.length, 4);
    assert.equal(page1.json.hasMore, true);
    const page2 = await s.api.req(
      'GET',
      `/v1/groups/${groupId}/messages?after=${page1.json.messages[3].seq}&limit=4`,
      undefined,
      friend,
    );
    assert.deepEqual(
      [...page1.json.messages, ...page2.json.messages].map((m: { body: string }) => m.body),
      ['hello', 'm0', 'm1', 'm2', 'm3', 'm4'],
    );
    assert.equal(page2.json.hasMore, false);
  });

  test('non-members see nothing, and cannot tell whether the group exists', async () => {
    const a = await s.api.req('GET', `/v1/groups/${groupId}/messages`, undefined, stranger);
    const b = await s.api.req('GET', '/v1/groups/999999/messages', undefined, stranger);
    assert.equal(a.status, 404);
    assert.deepEqual(a.json, b.json);
    assert.equal(
      (await s.api.req('POST', `/v1/groups/${groupId}/messages`, { body: 'x' }, stranger)).status,
      404,
    );
    assert.equal((await s.api.req('GET', `/v1/groups/${groupId}/members`, undefined, stranger)).status, 404);
  });

  test('bad input is refused with a clear error and changes nothing', async () => {
    const empty = await s.api.req('POST', `/v1/groups/${groupId}/messages`, { body: '   ' }, owner);
    assert.equal(empty.json.error.code, 'empty_message');
    const long = await s.api.req('POST', `/v1/groups/${groupId}/messages`, { body: 'x'.repeat(2001) }, owner);
    assert.equal(long.json.error.code, 'message_too_long');
    const schema = await s.api.req('POST', `/v1/groups/${groupId}/messages`, { text: 'wrong field' }, owner);
    assert.equal(schema.status, 400);
    assert.equal(schema.json.error.code, 'validation');
    const h = await s.api.req('GET', `/v1/groups/${groupId}/messages`, undefined, owner);
    assert.equal(h.json.lastSeq, 6);
    const big = await fetch(`${s.url}/v1/groups/${groupId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner}` },
      body: JSON.stringify({ body: 'x'.repeat(300_000) }),
    });
    assert.equal(big.status, 413);
  });

  test('removal by an admin takes effect; a member cannot remove', async () => {
    assert.equal(
      (await s.api.req('POST', `/v1/groups/${groupId}/removals`, { phone: OWNER }, friend)).status,
      403,
    );
    assert.equal(
      (await s.api.req('POST', `/v1/groups/${groupId}/removals`, { phone: FRIEND }, owner)).status,
      204,
    );
    assert.equal((await s.api.req('GET', `/v1/groups/${groupId}/messages`, undefined, friend)).status, 404);
  });

  test('the operator API needs the admin key', async () => {
    assert.equal((await s.api.req('GET', '/v1/admin/summary')).status, 403);
    const ok = await fetch(`${s.url}/v1/admin/summary`, {
      headers: { 'x-qun-admin-key': 'operator-key-0123456789' },
    });
    assert.equal(ok.status, 200);
    const wrong = await fetch(`${s.url}/v1/admin/summary`, {
      headers: { 'x-qun-admin-key': 'operator-key-0123456788' },
    });
    assert.equal(wrong.status, 403);
  });

  test('operations: healthz, metrics, openapi, durability', async () => {
    assert.equal((await s.api.req('GET', '/healthz')).json.status, 'ok');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /qun_messages_accepted_total\{source="http"\} 6/);
    assert.match(metrics, /qun_messages_duplicate_total 1/);
    const spec = (await s.api.req('GET', '/openapi.json')).json;
    assert.equal(spec.openapi, '3.0.3');
    for (const p of [
      '/v1/auth/code',
      '/v1/groups',
      '/v1/groups/{id}/messages',
      '/v1/inbox',
      '/v1/messages/{msgId}/trail',
      '/v1/sim/sms',
    ]) {
      assert.ok(spec.paths[p], `${p} documented`);
    }
    const page = await fetch(`${s.url}/m`);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  });
});
