// The routes the web client added: sign out everywhere, remove / make admin by user id (each checked
// against the caller's role, each told to the group's live connections), and live invitation frames.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import { smsGroup } from '../helpers/web-app.ts';

const O = '+8613500135000';
const A = '+8613500135001';
const B = '+8613500135002';
const C = '+8613500135003';

describe('web client routes', () => {
  let s: TestServer;
  let g: { groupId: number; ownerToken: string; address: string };
  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};
  before(async () => {
    s = await startTestServer();
    g = await smsGroup(s, O, 'Routes', [A, B]);
    for (const p of [A, B, C]) tokens[p] = await s.api.signIn(p, () => s.settle());
    for (const p of [A, B]) ids[p] = (await s.api.req('GET', '/v1/me', undefined, tokens[p])).json.id;
  });
  after(() => s.close());

  test('a member may not promote or remove; the owner may; the group hears of it live', async () => {
    const watcher = new QunClient({ baseUrl: s.url, token: tokens[B] });
    const events: string[] = [];
    watcher.on('group', (f) => events.push(`${f.event}:${f.g}`));
    await watcher.connect();
    const role = (p: string) => `/v1/groups/${g.groupId}/members/${ids[p]}/role`;
    assert.equal((await s.api.req('PUT', role(A), { role: 'admin' }, tokens[B])).status, 403);
    assert.equal((await s.api.req('PUT', role(A), { role: 'owner' }, g.ownerToken)).status, 400);
    assert.equal((await s.api.req('PUT', role(A), { role: 'admin' }, tokens[C])).status, 404, 'not a member');
    assert.equal((await s.api.req('PUT', role(A), { role: 'admin' }, g.ownerToken)).status, 204);
    await eventually(() => (events.includes(`members:${g.groupId}`) ? true : undefined));
    const members = async () =>
      (await s.api.req('GET', `/v1/groups/${g.groupId}/members`, undefined, g.ownerToken)).json.members as {
        userId: number;
        role: string;
      }[];
    assert.equal((await members()).find((m) => m.userId === ids[A])?.role, 'admin');
    const del = (p: string) => `/v1/groups/${g.groupId}/members/${ids[p]}`;
    assert.equal(
      (await s.api.req('DELETE', del(A), undefined, tokens[B])).status,
      403,
      'a member removes nobody',
    );
    assert.equal(
      (await s.api.req('DELETE', `/v1/groups/${g.groupId}/members/999999`, undefined, g.ownerToken)).status,
      404,
    );
    events.length = 0;
    assert.equal((await s.api.req('DELETE', del(A), undefined, g.ownerToken)).status, 204);
    await eventually(() => (events.includes(`members:${g.groupId}`) ? true : undefined));
    assert.equal(
      (await members()).find((m) => m.userId === ids[A]),
      undefined,
    );
    assert.equal((await s.api.req('DELETE', del(A), undefined, g.ownerToken)).status, 404, 'already gone');

    // An invitation reaches the invitee's open connection at once.
    const invitee = new QunClient({ baseUrl: s.url, token: tokens[C] });
    const got: string[] = [];
    invitee.on('group', (f) => got.push(`${f.event}:${f.name}`));
    await invitee.connect();
    await s.api.req('POST', `/v1/groups/${g.groupId}/invitations`, { phones: [C] }, g.ownerToken);
    await eventually(() => (got.includes('invited:Routes') ? true : undefined));
    watcher.close();
    invitee.close();
  });

  test('sign out everywhere revokes every session and closes their sockets', async () => {
    const t1 = await s.api.signIn(C, () => s.settle());
    const t2 = await s.api.signIn(C, () => s.settle());
    const live = new QunClient({ baseUrl: s.url, token: t2 });
    const closed: number[] = [];
    live.on('close', (e) => closed.push(e.code));
    await live.connect();
    const r = await s.api.req('POST', '/v1/auth/signout-all', undefined, t1);
    assert.equal(r.status, 200);
    assert.ok(r.json.revoked >= 2, `revoked ${r.json.revoked}`);
    for (const t of [t1, t2, tokens[C]])
      assert.equal((await s.api.req('GET', '/v1/me', undefined, t)).status, 401);
    await eventually(() => (closed.includes(4001) ? true : undefined));
    assert.equal((await s.api.req('POST', '/v1/auth/signout-all')).status, 401);
  });
});
