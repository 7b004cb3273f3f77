// Lost acknowledgements: a sender that retries the same client id over HTTP, WebSocket reconnects or SMS gets one stored message, one seq, one delivery.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import { assertClean, DeliveryChecker } from '../helpers/checker.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import {
  addMembers,
  closeServer,
  createGroup,
  type GroupRef,
  history,
  phone,
  RawWs,
  recordLive,
  SIGNIN_ENV,
  SmsCollector,
  signIn,
  sleep,
} from '../helpers/workload.ts';

const O = phone(4201, 0); // sends
const L = phone(4201, 1); // live recipient
const S = phone(4201, 2); // SMS recipient
const RETRIES = 5;

describe('client retries after a lost acknowledgement', () => {
  let s: TestServer;
  let proxy: TcpProxy;
  let group: GroupRef;
  const tokens: Record<string, string> = {};
  const checker = new DeliveryChecker();
  let sms: SmsCollector;
  const closers: (() => void)[] = [];

  before(async () => {
    s = await startTestServer({
      ...SIGNIN_ENV,
      QUN_LIVE_ACK_TIMEOUT: '5s',
    });
    proxy = await TcpProxy.start(s.port);
    for (const p of [O, L]) tokens[p] = await signIn(s.api, p);
    group = await createGroup(s.api, tokens[O]!, 'Retries');
    await addMembers(s.api, tokens[O]!, group.id, [L, S]);
    checker.member(L, [{ groupId: group.id }]);
    checker.member(S, [{ groupId: group.id }]);
    sms = new SmsCollector(() => s.api, checker);
    await sms.mark(S);
    const live = new QunClient({ baseUrl: s.url, token: tokens[L]! });
    recordLive(checker, L, live);
    await live.connect();
    closers.push(() => live.close());
  });
  after(async () => {
    for (const c of closers) c();
    await proxy.close();
    await closeServer(s);
  });

  /** The log's entries for one client id (as the owner reads history). */
  const stored = async (cid: string) =>
    (await history(s.api, tokens[O]!, group.id)).filter((m) => m.cid === cid || m.body?.includes(`${cid} `));

  test('WebSocket: `sent` dropped five times, the client resends across reconnects; stored once', async () => {
    const cid = 'ws-lost-sent';
    let dropped = 0;
    proxy.filter = (payload) => {
      if (!payload.includes('"t":"sent"')) return false;
      if (payload.includes(`"cid":"${cid}"`)) dropped++;
      return true;
    };
    const c = new QunClient({ baseUrl: proxy.url, token: tokens[O]! });
    closers.push(() => c.close());
    await c.connect();
    const answered = c.send(group.id, `w:wsretry:1 ${cid} `, cid);
    for (let i = 1; i <= RETRIES; i++) {
      await eventually(() => (dropped >= i ? true : undefined), 5000, `answer ${i} to be dropped`);
      proxy.cut(); // the client reconnects with back-off and resends the same cid
    }
    await eventually(() => (dropped >= RETRIES + 1 ? true : undefined), 5000, 'one more resend');
    proxy.filter = undefined;
    proxy.cut();
    const sent = await answered;
    assert.equal(sent.duplicate, true, 'the answer that got through is for a message stored earlier');
    checker.accept({ tag: 'w:wsretry:1', sender: 'O', groupId: group.id, cid, id: sent.id, seq: sent.seq });
    const rows = await stored(cid);
    assert.equal(rows.length, 1, `stored once, not ${rows.length} times`);
    assert.equal(rows[0]!.seq, sent.seq);
  });

  test('HTTP: the same clientMsgId five times in a row and five at once: one seq, one id', async () => {
    const post = (cid: string, body: string) =>
      s.api.req('POST', `/v1/groups/${group.id}/messages`, { body, clientMsgId: cid }, tokens[O]);
    const serial = [];
    for (let i = 0; i < RETRIES; i++) serial.push(await post('http-serial', 'w:httpretry:1 serial'));
    const parallel = await Promise.all(
      Array.from({ length: RETRIES }, () => post('http-par', 'w:httpretry:2 par')),
    );
    for (const [tag, cid, answers] of [
      ['w:httpretry:1', 'http-serial', serial],
      ['w:httpretry:2', 'http-par', parallel],
    ] as const) {
      assert.ok(
        answers.every((a) => a.status === 201),
        `all ${cid} answered 201: ${answers.map((a) => a.status)}`,
      );
      assert.equal(new Set(answers.map((a) => a.json.seq)).size, 1, `${cid}: one seq`);
      assert.equal(new Set(answers.map((a) => a.json.id)).size, 1, `${cid}: one id`);
      assert.equal(answers.filter((a) => a.json.duplicate === false).length, 1, `${cid}: one first answer`);
      assert.equal((await stored(cid)).length, 1, `${cid}: stored once`);
      checker.accept({
        tag,
        sender: 'O',
        groupId: group.id,
        cid,
        id: answers[0]!.json.id,
        seq: answers[0]!.json.seq,
      });
    }
  });

  test('WebSocket and HTTP mixed: one cid sent on five fresh sockets and over HTTP, in turn and at once', async () => {
    const cid = 'mixed-1';
    const body = 'w:mixed:1 mixed';
    const seqs: number[] = [];
    for (let i = 0; i < RETRIES; i++) {
      const ws = new RawWs(s.url);
      await ws.auth(tokens[O]!);
      ws.send({ t: 'send', g: group.id, cid, body });
      const f = await ws.waitFor((x) => x.t === 'sent' || x.t === 'error', 5000, 'sent');
      assert.equal(f.t, 'sent', JSON.stringify(f));
      seqs.push(f.seq);
      ws.close(); // a reconnect before the next try
      const h = await s.api.req(
        'POST',
        `/v1/groups/${group.id}/messages`,
        { body, clientMsgId: cid },
        tokens[O],
      );
      seqs.push(h.json.seq);
    }
    // The same cid racing on two channels at the same moment.
    const ws = new RawWs(s.url);
    await ws.auth(tokens[O]!);
    const cid2 = 'mixed-2';
    const body2 = 'w:mixed:2 race';
    ws.send({ t: 'send', g: group.id, cid: cid2, body: body2 });
    const [h2] = await Promise.all([
      s.api.req('POST', `/v1/groups/${group.id}/messages`, { body: body2, clientMsgId: cid2 }, tokens[O]),
      ws.waitFor((x) => x.t === 'sent' && x.cid === cid2, 5000, 'sent'),
    ]);
    const f2 = ws.frames.find((x) => x.t === 'sent' && x.cid === cid2);
    ws.close();
    assert.equal(new Set(seqs).size, 1, `one seq for ${cid}: ${seqs}`);
    assert.equal(h2.json.seq, f2.seq, 'one seq when WS and HTTP race');
    assert.equal((await stored(cid)).length, 1);
    assert.equal((await stored(cid2)).length, 1);
    const log = await history(s.api, tokens[O]!, group.id);
    checker.accept({ tag: 'w:mixed:1', sender: 'O', groupId: group.id, cid, seq: seqs[0] });
    checker.accept({ tag: 'w:mixed:2', sender: 'O', groupId: group.id, cid: cid2, seq: f2.seq });
    checker.learnLog(group.id, log);
  });

  test('SMS: a gateway redelivers the same text five times, in turn and at once; posted once', async () => {
    const outcomes = [];
    for (let i = 0; i < RETRIES; i++)
      outcomes.push(await s.api.sms(O, group.address, 'w:smsretry:1 again', 'mo-1'));
    assert.deepEqual(outcomes, ['message', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    checker.accept({ tag: 'w:smsretry:1', sender: 'O', groupId: group.id });
    await Promise.all(
      Array.from({ length: RETRIES }, () => s.api.sms(O, group.address, 'w:smsretry:2 at once', 'mo-2')),
    );
    checker.accept({ tag: 'w:smsretry:2', sender: 'O', groupId: group.id });
    const log = await history(s.api, tokens[O]!, group.id);
    assert.equal(
      log.filter((m) => m.body?.startsWith('w:smsretry:2')).length,
      1,
      'parallel copies stored once',
    );
  });

  test('SMS: a command redelivered while the first copy is still being handled runs once', async () => {
    // A gateway that times out on a slow answer redelivers the same text (same id) while the first is in progress.
    const had = (await s.api.req('GET', '/v1/groups', undefined, tokens[O])).json.groups.length as number;
    await Promise.all(
      Array.from({ length: RETRIES }, () => s.api.sms(O, '10658', 'CREATE Redelivered', 'mo-create')),
    );
    const groups = (await s.api.req('GET', '/v1/groups', undefined, tokens[O])).json.groups as {
      name: string;
    }[];
    assert.equal(
      groups.length - had,
      1,
      `one CREATE text (gateway id mo-create) made ${groups.length - had} groups named "Redelivered"`,
    );
  });

  test('every retried message reached each member once', async () => {
    const log = await history(s.api, tokens[O]!, group.id);
    checker.learnLog(group.id, log);
    await eventually(
      async () => {
        await s.settle();
        await sms.collect(S);
        return checker.report().totals.lost === 0 ? true : undefined;
      },
      5000,
      'deliveries',
    ).catch(() => undefined);
    await sleep(300);
    await s.settle();
    await sms.collect(S);
    assertClean('client retries', checker.report());
  });
});
