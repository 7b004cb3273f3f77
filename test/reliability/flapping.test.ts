// Live clients that drop and go half-open at random while messages flow must resume by seq to every message once, in order (QUN_FLAP_CLIENTS, QUN_FLAP_SECONDS).
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
  drainInbox,
  type GroupRef,
  history,
  httpSender,
  optOut,
  phone,
  recordLive,
  runSender,
  SIGNIN_ENV,
  SmsCollector,
  signIn,
  sleep,
  wsSender,
} from '../helpers/workload.ts';

// The full run: QUN_FLAP_CLIENTS=100 QUN_FLAP_SECONDS=60 (defaults keep npm test fast).
const CLIENTS = Number(process.env.QUN_FLAP_CLIENTS ?? 30);
const SECONDS = Number(process.env.QUN_FLAP_SECONDS ?? 10);
const ACK_TIMEOUT_MS = 2000;

describe('flapping live clients', () => {
  let s: TestServer;
  let proxy: TcpProxy;
  let group: GroupRef;
  const clients: QunClient[] = [];
  const tokens = new Map<string, string>();

  before(async () => {
    s = await startTestServer({
      ...SIGNIN_ENV,
      QUN_LIVE_ACK_TIMEOUT: `${ACK_TIMEOUT_MS}ms`,
      QUN_LIVE_HEARTBEAT: '1s',
      QUN_WEB_ONLINE_TTL: '60s',
      QUN_MEMBER_CAP: '1000',
    });
    proxy = await TcpProxy.start(s.port);
  });
  after(async () => {
    for (const c of clients) c.close();
    await proxy.close();
    await closeServer(s);
  });

  test(`${CLIENTS} clients reconnecting at random for ${SECONDS} s: nothing lost, nothing twice, in order`, async () => {
    const owner = phone(4701, 0);
    const senders = [phone(4701, 1), phone(4701, 2)];
    const members = Array.from({ length: CLIENTS }, (_, i) => phone(4702, i));
    for (const p of [owner, ...senders]) tokens.set(p, await signIn(s.api, p));
    for (let i = 0; i < members.length; i += 10)
      await Promise.all(members.slice(i, i + 10).map(async (p) => tokens.set(p, await signIn(s.api, p))));
    group = await createGroup(s.api, tokens.get(owner)!, 'Flapping');
    await addMembers(s.api, tokens.get(owner)!, group.id, [...senders, ...members]);
    // App-only members (STOP): their fallback rung is the inbox, so every copy they get is one this test sees.
    // (A member who also takes texts is texted whatever arrives while it reconnects: see the next test.)
    for (const p of members) await optOut(s.api, p);

    const checker = new DeliveryChecker();
    for (const p of members) checker.member(p, [{ groupId: group.id }]);
    for (const p of members) {
      const c = new QunClient({ baseUrl: proxy.url, token: tokens.get(p)! });
      clients.push(c);
      recordLive(checker, p, c);
    }
    await Promise.all(clients.map((c) => c.connect()));

    // Disruptions: each live connection is cut about once a second; one in ten first goes half-open for a while.
    let flapping = true;
    let cuts = 0;
    let freezes = 0;
    const flapper = (async () => {
      while (flapping) {
        await sleep(50);
        for (const conn of proxy.websockets()) {
          if (conn.frozen || Math.random() > 0.05) continue;
          if (Math.random() < 0.1) {
            freezes++;
            proxy.freeze(conn);
            setTimeout(() => proxy.cut(conn), 500 + Math.random() * 2500);
          } else {
            cuts++;
            proxy.cut(conn);
          }
        }
      }
    })();

    // Senders: two over HTTP (direct to the server), three live members over their flapping sockets.
    const stopAt = Date.now() + SECONDS * 1000;
    const stop = () => Date.now() > stopAt;
    const runs = [
      runSender(
        httpSender('h1', () => s.api, tokens.get(senders[0]!)!, group.id),
        checker,
        {
          count: 100_000,
          intervalMs: 40,
          stop,
        },
      ),
      runSender(
        httpSender('h2', () => s.api, tokens.get(senders[1]!)!, group.id),
        checker,
        {
          count: 100_000,
          intervalMs: 40,
          stop,
        },
      ),
      ...[0, 1, 2].map((i) =>
        runSender({ ...wsSender(`ws${i}`, clients[i]!, group.id), member: members[i] }, checker, {
          count: 100_000,
          intervalMs: 200,
          stop,
        }),
      ),
    ];
    await Promise.all(runs);
    flapping = false;
    await flapper;
    for (const conn of proxy.websockets()) if (conn.frozen) proxy.cut(conn);

    // Every client comes back and catches up to the end of the log by resuming.
    const lastSeq = async () =>
      (await s.api.req('GET', `/v1/groups/${group.id}`, undefined, tokens.get(owner))).json.lastSeq as number;
    const end = await lastSeq();
    await eventually(
      () =>
        clients.every((c) => c.connected && c.streams.lastContiguous(group.id) >= end) ? true : undefined,
      20_000,
      'every client caught up',
    );
    // The clients' last acks are recorded before the inboxes are read: a frame the client holds but whose
    // ack is still on its way (a loaded machine took over 300 ms) would be listed in the inbox as new.
    await eventually(
      async () => {
        for (const p of members) {
          const g = await s.api.req('GET', `/v1/groups/${group.id}`, undefined, tokens.get(p));
          if ((g.json.ackedSeq as number) < end) return undefined;
        }
        return true;
      },
      10_000,
      'every client’s acks up to the end recorded',
    );
    await s.settle();
    const sms = new SmsCollector(() => s.api, checker);
    for (const p of members) {
      await drainInbox(s.api, tokens.get(p)!, checker, p);
      await sms.collect(p);
    }
    checker.learnLog(group.id, await history(s.api, tokens.get(owner)!, group.id));
    const rep = checker.report();
    console.log(
      `flapping: ${CLIENTS} clients, ${SECONDS} s, ${rep.accepted} messages, ${cuts} cuts, ${freezes} half-open spells`,
    );
    assertClean('flapping', rep);
    for (const c of clients) assert.deepEqual(c.streams.gaps(), [], 'no client holds frames past a gap');
  });

  // A member whose socket closed less than an ack timeout ago still counts as live (reconnecting):
  // the message waits for the resume instead of going by text as well.
  test('a member who also takes texts and drops for a moment is not texted what it then gets live', async () => {
    const owner = phone(4701, 0);
    const t = phone(4703, 0);
    const tt = await signIn(s.api, t);
    await addMembers(s.api, tokens.get(owner)!, group.id, [t]);
    const checker = new DeliveryChecker();
    const start = (await s.api.req('GET', `/v1/groups/${group.id}`, undefined, tt)).json.lastSeq as number;
    checker.member(t, [{ groupId: group.id, afterSeq: start }]);
    const sms = new SmsCollector(() => s.api, checker);
    await sms.mark(t);
    const c = new QunClient({ baseUrl: proxy.url, token: tt });
    clients.push(c);
    recordLive(checker, t, c);
    await c.connect();
    // The newest connection through the proxy is this client's (the others are settled by now).
    const conn = proxy.websockets().reduce((a, b) => (b.id > a.id ? b : a));
    proxy.cut(conn); // the client reconnects after 125 to 250 ms
    await sleep(50); // the server has seen the socket close: the member is offline for this message
    await runSender(
      httpSender('blip', () => s.api, tokens.get(owner)!, group.id),
      checker,
      { count: 1 },
    );
    await eventually(() => (c.connected && c.streams.lastContiguous(group.id) > start ? true : undefined));
    await s.settle();
    await sms.collect(t);
    assertClean('a blip in the connection', checker.report());
  });
});
