// Expired, revoked, tampered and replayed tokens are refused on every bearer route and the WebSocket; sign-out closes sockets; foreign origins are refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  addMembers,
  closeServer,
  createGroup,
  type GroupRef,
  phone,
  RawWs,
  SIGNIN_ENV,
  signIn,
  sleep,
  textsAfter,
} from '../helpers/workload.ts';

/** Routes that take no bearer token (public, operator key, simulator harness). */
const NO_BEARER =
  /^(GET \/healthz|GET \/readyz|GET \/metrics|GET \/v1\/push\/key|POST \/v1\/auth\/(code|token)|\S+ \/v1\/sim\/|\S+ \/v1\/admin\/)/;

function tamper(t: string): Record<string, string> {
  const flip = (c: string) => (c === 'A' ? 'B' : 'A');
  return {
    'last character changed': t.slice(0, -1) + flip(t.at(-1)!),
    'first character changed': flip(t[0]!) + t.slice(1),
    truncated: t.slice(0, -4),
    extended: `${t}AAAA`,
    'upper-cased': t.toUpperCase() === t ? t.toLowerCase() : t.toUpperCase(),
    'another encoding': Buffer.from(t, 'base64url').toString('hex'),
    'inner space': `${t.slice(0, 10)} ${t.slice(10)}`,
  };
}

/** Every bearer route of the API, with ids filled in, called with one token: how many were not refused. */
async function sweep(s: TestServer, token: string, groupId: number, label: string): Promise<string[]> {
  const spec = (await s.api.req('GET', '/openapi.json')).json;
  const leaks: string[] = [];
  for (const [p, ops] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
    for (const m of Object.keys(ops)) {
      const route = `${m.toUpperCase()} ${p}`;
      if (NO_BEARER.test(route)) continue;
      const path = p
        .replace('{id}', String(groupId))
        .replace('{msgId}', '01900000-0000-7000-8000-000000000000');
      const hasBody =
        !['GET', 'DELETE'].includes(m.toUpperCase()) || route === 'DELETE /v1/push/subscriptions';
      const res = await fetch(s.url + path, {
        method: m.toUpperCase(),
        headers: {
          authorization: `Bearer ${token}`,
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
        },
        body: hasBody ? '{}' : undefined,
      });
      const text = await res.text();
      // A body the schema refuses may be answered 400 before authentication; anything else must be 401.
      if (res.status !== 401 && !(res.status === 400 && /"validation"/.test(text)))
        leaks.push(`${label}: ${route} → ${res.status} ${text.slice(0, 80)}`);
    }
  }
  return leaks;
}

/** Connects, authenticates with the token and reports what came back. */
async function wsWith(s: TestServer, token: string): Promise<{ ready: boolean; code: number | undefined }> {
  const ws = new RawWs(s.url);
  await ws.opened;
  ws.send({ t: 'auth', token });
  const code = await Promise.race([ws.closed.then((c) => c.code), sleep(1500).then(() => undefined)]);
  const ready = ws.frames.some((f) => f.t === 'ready');
  ws.close();
  return { ready, code };
}

describe('tokens', () => {
  let s: TestServer;
  let g: GroupRef;
  const O = phone(4501, 0);
  const A = phone(4501, 1);
  let owner = '';
  const sockets: RawWs[] = [];
  before(async () => {
    s = await startTestServer(SIGNIN_ENV);
    owner = await signIn(s.api, O);
    g = await createGroup(s.api, owner, 'Tokens');
    await addMembers(s.api, owner, g.id, [A]);
  });
  after(async () => {
    for (const w of sockets) w.close();
    await closeServer(s);
  });

  test('tampered tokens are refused on every bearer route and on the WebSocket', async () => {
    const problems: string[] = [];
    const kinds = { ...tamper(owner), empty: '', 'not base64url': '!!!!', 'too long': 'A'.repeat(300) };
    for (const [kind, t] of Object.entries(kinds)) {
      problems.push(...(await sweep(s, t, g.id, kind)));
      const ws = await wsWith(s, t);
      if (ws.ready) problems.push(`${kind}: the WebSocket accepted it`);
      // Over 200 characters the auth frame fails validation (error frame), later the auth deadline closes it.
      if (kind !== 'too long' && kind !== 'empty' && ws.code !== 4001)
        problems.push(`${kind}: the WebSocket closed with ${ws.code}`);
      const cookie = await fetch(`${s.url}/v1/inbox`, {
        headers: { cookie: `qun_session=${encodeURIComponent(t)}` },
      });
      if (cookie.status !== 401) problems.push(`${kind}: cookie on /v1/inbox → ${cookie.status}`);
    }
    assert.deepEqual(problems, []);
  });

  test('sign-out revokes the token everywhere and closes that session’s sockets with 4001', async () => {
    const t1 = await signIn(s.api, A); // this device signs out
    const t2 = await signIn(s.api, A); // another device of A stays signed in
    const a = new RawWs(s.url);
    const b = new RawWs(s.url);
    const other = new RawWs(s.url);
    sockets.push(a, b, other);
    await a.auth(t1);
    await b.auth(t1);
    await other.auth(t2);
    assert.equal((await s.api.req('POST', '/v1/auth/signout', undefined, t1)).status, 204);
    const [ca, cb] = await Promise.all([a.closed, b.closed]);
    assert.deepEqual([ca.code, cb.code], [4001, 4001], 'both sockets of the session closed with 4001');
    // Replayed after sign-out: refused on HTTP (bearer and cookie) and on the WebSocket.
    assert.deepEqual(await sweep(s, t1, g.id, 'after sign-out'), []);
    const cookie = await fetch(`${s.url}/v1/inbox`, { headers: { cookie: `qun_session=${t1}` } });
    assert.equal(cookie.status, 401);
    const ws = await wsWith(s, t1);
    assert.deepEqual(ws, { ready: false, code: 4001 });
    assert.equal(
      (await s.api.req('POST', '/v1/auth/signout', undefined, t1)).status,
      401,
      'no second sign-out',
    );
    // The other session is untouched and still gets messages.
    assert.equal((await s.api.req('GET', '/v1/me', undefined, t2)).status, 200);
    await s.api.req('POST', `/v1/groups/${g.id}/messages`, { body: 'still here' }, owner);
    await other.waitFor(
      (f) => f.t === 'msg' && f.body === 'still here',
      3000,
      'message on the other session',
    );
  });

  test('the mobile inbox sign-out (cookie) closes that session’s sockets too', async () => {
    const t = await signIn(s.api, A);
    const ws = new RawWs(s.url);
    sockets.push(ws);
    await ws.auth(t);
    const r = await fetch(`${s.url}/m/signout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `qun_session=${t}` },
    });
    assert.equal(r.status, 303);
    assert.equal((await ws.closed).code, 4001);
    assert.equal((await s.api.req('GET', '/v1/me', undefined, t)).status, 401);
  });

  test('a sign-in code works once: replaying it gives no second session', async () => {
    const last = (await textsAfter(s.api, A)).at(-1)?.id ?? 0;
    await s.api.req('POST', '/v1/auth/code', { phone: A });
    await s.settle();
    const code = /(\d{6})/.exec((await textsAfter(s.api, A, last)).at(-1)!.text)![1]!;
    assert.equal((await s.api.req('POST', '/v1/auth/token', { phone: A, code })).status, 200);
    assert.equal((await s.api.req('POST', '/v1/auth/token', { phone: A, code })).status, 401);
  });

  test('a cookie request from another origin cannot sign out, mark read or post', async () => {
    const t = await signIn(s.api, A);
    const evil = { cookie: `qun_session=${t}`, origin: 'https://evil.example' };
    const signout = await fetch(`${s.url}/v1/auth/signout`, { method: 'POST', headers: evil });
    assert.equal(signout.status, 403);
    const read = await fetch(`${s.url}/v1/inbox/read`, {
      method: 'POST',
      headers: { ...evil, 'content-type': 'application/json' },
      body: JSON.stringify({ groupId: g.id, seq: 1 }),
    });
    assert.equal(read.status, 403);
    const post = await fetch(`${s.url}/m/send`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...evil, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ groupId: String(g.id), body: 'csrf' }).toString(),
    });
    assert.equal(post.status, 403);
    const mout = await fetch(`${s.url}/m/signout`, { method: 'POST', redirect: 'manual', headers: evil });
    assert.equal(mout.status, 403);
    assert.equal((await s.api.req('GET', '/v1/me', undefined, t)).status, 200, 'the session survived');
  });

  test('WebSocket upgrades with a foreign Origin are refused; the server’s own origins are not', async () => {
    const port = new URL(s.url).port;
    for (const origin of [
      'https://evil.example',
      'null',
      `http://127.0.0.1:${Number(port) + 1}`,
      'http://qun.example',
    ]) {
      const ws = new RawWs(s.url, { origin });
      assert.equal(await ws.opened, false, `${origin} refused`);
      assert.equal(ws.refused, 403, `${origin} refused with 403`);
    }
    // (QUN_PUBLIC_URL's origin is accepted too, but the test helper sets it to the server's own URL.)
    for (const origin of [`http://127.0.0.1:${port}`]) {
      const ws = new RawWs(s.url, { origin });
      sockets.push(ws);
      assert.equal(await ws.opened, true, `${origin} accepted`);
    }
  });
});

describe('expired sessions', () => {
  let s: TestServer;
  const sockets: RawWs[] = [];
  after(async () => {
    for (const w of sockets) w.close();
    await closeServer(s);
  });

  test('an expired token is refused on every bearer route and on the WebSocket', async () => {
    s = await startTestServer({
      ...SIGNIN_ENV,
      QUN_SESSION_TTL: '1s',
    });
    const t = await signIn(s.api, phone(4502, 0));
    const g = await createGroup(s.api, t, 'Expiry');
    assert.equal((await s.api.req('GET', '/v1/me', undefined, t)).status, 200);
    await sleep(1100);
    assert.deepEqual(await sweep(s, t, g.id, 'expired'), []);
    assert.deepEqual(await wsWith(s, t), { ready: false, code: 4001 });
    const cookie = await fetch(`${s.url}/v1/inbox`, { headers: { cookie: `qun_session=${t}` } });
    assert.equal(cookie.status, 401);
  });

  test('a socket opened before its session expired is closed at expiry and gets nothing after it', async () => {
    s ??= await startTestServer({
      ...SIGNIN_ENV,
      QUN_SESSION_TTL: '1s',
    });
    const [o, a] = [phone(4502, 1), phone(4502, 2)];
    const ot = await signIn(s.api, o);
    const g = await createGroup(s.api, ot, 'Expiry live');
    await addMembers(s.api, ot, g.id, [a]);
    const at = await signIn(s.api, a);
    const expiresAt = Date.now() + 1000;
    const ws = new RawWs(s.url);
    sockets.push(ws);
    await ws.auth(at);
    await sleep(Math.max(0, expiresAt + 500 - Date.now()));
    // The owner's session has expired as well: post by SMS, which needs none.
    await s.api.sms(o, g.address, 'after the session expired');
    await s.settle();
    await sleep(300);
    const got = ws.frames.filter((f) => f.t === 'msg' && f.body === 'after the session expired');
    assert.deepEqual(got, [], 'a message reached a socket whose session had expired');
    const closed = await Promise.race([ws.closed, sleep(100).then(() => undefined)]);
    assert.equal(closed?.code, 4001, 'the socket was closed with 4001 when its session expired');
  });
});
