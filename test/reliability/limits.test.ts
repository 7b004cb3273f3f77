// Hostile sizes and values: 1009 for big frames, 413 for big bodies, member caps under racing joins, slow readers, and resume points past the log.
import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, describe, test } from 'node:test';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import {
  addMembers,
  closeServer,
  createGroup,
  optOut,
  phone,
  RawWs,
  SIGNIN_ENV,
  signIn,
  sleep,
  textsAfter,
} from '../helpers/workload.ts';

const MiB = 1024 * 1024;

/** The server's end of a client's TCP connection (the server runs in this process), or undefined once closed. */
function serverSide(client: RawWs): net.Socket | undefined {
  const local = (client.ws as unknown as { _socket: net.Socket })._socket.localPort;
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.find(
    (h): h is net.Socket => (h as net.Socket).remotePort === local && !(h as net.Socket).destroyed,
  );
}

describe('limits', () => {
  const servers: TestServer[] = [];
  const sockets: RawWs[] = [];
  after(async () => {
    for (const w of sockets) w.close();
    for (const s of servers) await closeServer(s);
  });

  test('a WebSocket frame over 64 KiB closes the socket with 1009, before or after auth', async () => {
    const s = await startTestServer(SIGNIN_ENV);
    servers.push(s);
    const t = await signIn(s.api, phone(4601, 0));
    const big = JSON.stringify({ t: 'cmd', text: 'x'.repeat(70 * 1024) });
    const before = new RawWs(s.url);
    sockets.push(before);
    await before.opened;
    before.ws.send(big);
    assert.equal((await before.closed).code, 1009);
    const authed = new RawWs(s.url);
    sockets.push(authed);
    await authed.auth(t);
    authed.ws.send(big);
    assert.equal((await authed.closed).code, 1009);
  });

  test('HTTP bodies over the limit get 413 on every kind of route, and store nothing', async () => {
    const s = servers[0]!;
    const t = await signIn(s.api, phone(4601, 1));
    const g = await createGroup(s.api, t, 'Big bodies');
    const json = JSON.stringify({ body: 'x'.repeat(300 * 1024) });
    for (const [path, token] of [
      [`/v1/groups/${g.id}/messages`, t],
      ['/v1/auth/code', undefined],
      ['/v1/sim/sms', undefined],
      ['/v1/inbox/read', t],
    ] as const) {
      const r = await fetch(s.url + path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: json,
      });
      assert.equal(r.status, 413, path);
      assert.equal((await r.json()).error.code, 'payload_too_large');
    }
    const form = await fetch(`${s.url}/m/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `qun_session=${t}` },
      body: new URLSearchParams({ groupId: String(g.id), body: 'x'.repeat(100 * 1024) }).toString(),
    });
    assert.equal(form.status, 413, 'the mobile inbox form');
    const h = await s.api.req('GET', `/v1/groups/${g.id}/messages`, undefined, t);
    assert.equal(h.json.lastSeq, 0, 'nothing stored');
  });

  test('a group at its member cap refuses joins, also when they race, by HTTP and by SMS', async () => {
    const s = servers[0]!;
    const owner = phone(4602, 0);
    const invitees = [1, 2, 3, 4, 5, 6].map((i) => phone(4602, i));
    const ot = await signIn(s.api, owner);
    const g = (await s.api.req('POST', '/v1/groups', { name: 'Capped' }, ot)).json;
    const inv = await s.api.req('POST', `/v1/groups/${g.id}/invitations`, { phones: invitees }, ot);
    assert.equal(inv.json.invited.length, 6);
    // The owner lowers the cap below what the invitations would make: owner + 3.
    assert.equal((await s.api.req('PATCH', `/v1/groups/${g.id}`, { memberCap: 4 }, ot)).status, 200);
    const tokens = await Promise.all(invitees.slice(0, 3).map((p) => signIn(s.api, p)));
    const results = await Promise.all([
      ...tokens.map((tk) =>
        s.api.req('POST', `/v1/groups/${g.id}/join`, undefined, tk).then((r) => r.status),
      ),
      ...invitees.slice(3).map((p) => s.api.sms(p, g.address, 'Y')),
    ]);
    const members = (await s.api.req('GET', `/v1/groups/${g.id}/members`, undefined, ot)).json.members;
    assert.equal(members.length, 4, `members after racing joins: ${members.length} (${results.join(', ')})`);
    const refusedHttp = results.slice(0, 3).filter((x) => x === 409).length;
    await s.settle();
    let refusedSms = 0;
    for (const p of invitees.slice(3))
      if ((await textsAfter(s.api, p)).some((x) => /"Capped" is full|Only admins of "Capped"/.test(x.text)))
        refusedSms++;
    assert.equal(refusedHttp + refusedSms, 3, `each refused join was told so (409 or a text): ${results}`);
    // Invitations past the cap are refused outright; so is a cap past QUN_MEMBER_CAP_MAX.
    const more = await s.api.req('POST', `/v1/groups/${g.id}/invitations`, { phones: [phone(4602, 9)] }, ot);
    assert.deepEqual(more.json.refusedCap, [phone(4602, 9)]);
    const huge = await s.api.req('PATCH', `/v1/groups/${g.id}`, { memberCap: 1_000_000 }, ot);
    assert.equal(huge.status, 400);
  });

  test('a live client that stops reading is closed once the server buffers past its limit', async () => {
    const s = await startTestServer({
      ...SIGNIN_ENV,
      // Big frames, so that the loopback's socket buffers (tens of MB where tcp_rmem allows) fill quickly.
      QUN_MAX_MESSAGE_CHARS: '100000',
      QUN_LIVE_HEARTBEAT: '60s', // only the buffer limit may close the socket here
      QUN_LIVE_ACK_TIMEOUT: '60s',
    });
    servers.push(s);
    const [o, a] = [phone(4603, 0), phone(4603, 1)];
    const ot = await signIn(s.api, o);
    const at = await signIn(s.api, a);
    const g = await createGroup(s.api, ot, 'Slow reader');
    await addMembers(s.api, ot, g.id, [a]);

    const slow = new RawWs(s.url);
    sockets.push(slow);
    await slow.auth(at);
    slow.ws.pause(); // reads nothing from here on
    const side = serverSide(slow);
    assert.ok(side, 'found the server side of the socket');
    const body = '漢'.repeat(80_000); // ~240 KB per frame, under the 256 KiB body limit
    let maxBuffered = 0;
    let posted = 0;
    while (serverSide(slow) && posted < 400) {
      await Promise.all(
        Array.from({ length: 8 }, () =>
          s.api.req('POST', `/v1/groups/${g.id}/messages`, { body: `${posted++} ${body}` }, ot),
        ),
      );
      await sleep(5);
      maxBuffered = Math.max(maxBuffered, side.writableLength);
    }
    console.log(
      `slow live reader: closed after ${posted} messages; server buffered at most ${(maxBuffered / MiB).toFixed(1)} MiB`,
    );
    assert.equal(serverSide(slow), undefined, 'the server closed the socket that stopped reading');
    assert.ok(maxBuffered <= 4 * MiB + 64 * 1024, `buffered ${maxBuffered} bytes, over the 4 MiB limit`);
  });

  test('catch-up lets the socket drain between pages instead of reading the whole backlog into memory', async () => {
    // logCatchUp reads 200 messages per page and then waits while the socket holds over 1 MiB. That wait can only
    // work if each page reaches the socket before the next is read; the frames a reader gets show whether it did.
    const s = await startTestServer(SIGNIN_ENV);
    servers.push(s);
    const [o, b] = [phone(4604, 0), phone(4604, 1)];
    const ot = await signIn(s.api, o);
    const g = await createGroup(s.api, ot, 'Backlog');
    await addMembers(s.api, ot, g.id, [b]);
    const bt = await signIn(s.api, b);
    await optOut(s.api, b); // no texts for the backlog
    const N = 450; // more than two catch-up pages
    for (let i = 0; i < N; i += 50)
      await Promise.all(
        Array.from({ length: 50 }, (_, k) =>
          s.api.req(
            'POST',
            `/v1/groups/${g.id}/messages`,
            { body: `backlog ${i + k} ${'x'.repeat(1500)}` },
            ot,
          ),
        ),
      );
    const reader = new RawWs(s.url);
    sockets.push(reader);
    await reader.auth(bt, { t: 'resume', groups: { [g.id]: 0 } });
    await eventually(
      () => (reader.frames.filter((f) => f.t === 'msg').length >= N ? true : undefined),
      10_000,
      'backlog',
    );
    const biggest = Math.max(...reader.batches);
    console.log(
      `catch-up of ${N} messages arrived in ${reader.batches.length} WebSocket frames, the largest holding ${biggest}`,
    );
    assert.ok(
      biggest <= 200,
      `one WebSocket frame carried ${biggest} of the ${N} backlog messages: catch-up read past its 200-message ` +
        'page without the socket ever seeing the data, so its 1 MiB drain check cannot bound memory',
    );
  });
});

describe('hostile values', () => {
  let s: TestServer | undefined;
  const sockets: RawWs[] = [];
  const servers: TestServer[] = [];
  after(async () => {
    for (const w of sockets) w.close();
    await closeServer(s);
    for (const x of servers) await closeServer(x);
  });

  test('a resume point and an ack past the end of the log cannot make the server skip later messages', async () => {
    // protocol.md: "An ack beyond what this connection was sent is clamped". The resume point, though, is taken as
    // given, and the ack is clamped to it: one bad frame moves the member's cursor past every future message.
    s = await startTestServer({ ...SIGNIN_ENV, QUN_LIVE_ACK_TIMEOUT: '500ms', QUN_WEB_ONLINE_TTL: '60s' });
    const [o, a] = [phone(4605, 0), phone(4605, 1)];
    const ot = await signIn(s.api, o);
    const at = await signIn(s.api, a);
    const g = await createGroup(s.api, ot, 'Far future');
    await addMembers(s.api, ot, g.id, [a]);
    const ws = new RawWs(s.url);
    sockets.push(ws);
    await ws.auth(at, { t: 'resume', groups: { [g.id]: 1_000_000_000 } });
    ws.send({ t: 'ack', g: g.id, seq: 1_000_000_000 });
    await sleep(100);
    await s.settle();
    // The member stays connected on that socket; a message follows, and the ack deadline passes.
    const before = (await textsAfter(s.api, a)).at(-1)?.id ?? 0;
    await s.api.req('POST', `/v1/groups/${g.id}/messages`, { body: 'still for you' }, ot);
    await sleep(1200);
    await s.settle();
    const again = new RawWs(s.url); // a second device, or the same after a reconnect
    sockets.push(again);
    await again.auth(at);
    await sleep(300);
    const live = [...ws.frames, ...again.frames].some((f) => f.t === 'msg' && f.body === 'still for you');
    const inbox = (await s.api.req('GET', '/v1/inbox', undefined, at)).json.groups.some(
      (x: { messages: { body: string }[] }) => x.messages.some((m) => m.body === 'still for you'),
    );
    const texted = (await textsAfter(s.api, a, before)).some((t) => t.text.includes('still for you'));
    const acked = (await s.api.req('GET', `/v1/groups/${g.id}`, undefined, at)).json.ackedSeq;
    assert.ok(
      live || inbox || texted,
      `the next message reached the member on no channel (the member's ackedSeq is now ${acked})`,
    );
  });
  test('a resume position counts as an ack: what the client holds never falls to the inbox', async () => {
    // The ack for these messages was "lost with the old socket": the client only resumes from them.
    const r = await startTestServer({
      ...SIGNIN_ENV,
      QUN_LIVE_ACK_TIMEOUT: '500ms',
      QUN_WEB_ONLINE_TTL: '60s',
    });
    servers.push(r);
    const [o, a] = [phone(4605, 2), phone(4605, 3)];
    const ot = await signIn(r.api, o);
    const at = await signIn(r.api, a);
    const g = await createGroup(r.api, ot, 'Resumed');
    await addMembers(r.api, ot, g.id, [a]);
    // Live on a first socket that receives the messages and never acks them, then drops.
    const first = new RawWs(r.url);
    sockets.push(first);
    await first.auth(at);
    for (const body of ['one', 'two', 'three'])
      assert.equal((await r.api.req('POST', `/v1/groups/${g.id}/messages`, { body }, ot)).status, 201);
    const got = await eventually(() => {
      const msgs = first.frames.filter((f) => f.t === 'msg');
      return msgs.length === 3 ? msgs : undefined;
    });
    const held = Math.max(...got.map((f) => f.seq as number));
    first.close();
    // Back within the ack timeout on a second socket, resuming from what it holds.
    const ws = new RawWs(r.url);
    sockets.push(ws);
    await ws.auth(at, { t: 'resume', groups: { [g.id]: held } });
    await sleep(1200); // past the 500 ms ack deadline, without one ack frame
    await r.settle();
    assert.equal((await r.api.req('GET', `/v1/groups/${g.id}`, undefined, at)).json.ackedSeq, held);
    const inbox = (await r.api.req('GET', '/v1/inbox', undefined, at)).json.groups.flatMap(
      (x: { messages: unknown[] }) => x.messages,
    );
    assert.deepEqual(inbox, [], 'nothing the client holds is in its inbox');
    const texted = (await textsAfter(r.api, a)).filter((t) => /one|two|three/.test(t.text));
    assert.deepEqual(texted, [], 'nothing the client holds is texted');
    assert.equal(ws.frames.filter((f) => f.t === 'msg').length, 0, 'nothing was sent again live');
  });
});
