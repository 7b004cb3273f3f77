// Half-open links (a proxy that forwards nothing but closes nothing): detected within heartbeat + ack timeout, unacked messages fall to SMS or inbox once each.
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
  httpSender,
  phone,
  pullInbox,
  recordLive,
  runSender,
  SIGNIN_ENV,
  SmsCollector,
  signIn,
  sleep,
} from '../helpers/workload.ts';

const HEARTBEAT_MS = 500;
const ACK_TIMEOUT_MS = 500;
const O = phone(4101, 0);
const A = phone(4101, 1); // live only
const B = phone(4101, 2); // live and web-online

describe('half-open live connections', () => {
  let s: TestServer;
  let proxy: TcpProxy;
  let group: GroupRef;
  const tokens: Record<string, string> = {};
  const clients: QunClient[] = [];

  before(async () => {
    s = await startTestServer({
      ...SIGNIN_ENV,
      QUN_LIVE_ACK_TIMEOUT: `${ACK_TIMEOUT_MS}ms`,
      QUN_LIVE_HEARTBEAT: `${HEARTBEAT_MS}ms`,
      QUN_WEB_ONLINE_TTL: '60s',
    });
    proxy = await TcpProxy.start(s.port);
    for (const p of [O, A, B]) tokens[p] = await signIn(s.api, p);
    group = await createGroup(s.api, tokens[O]!, 'Half open');
    await addMembers(s.api, tokens[O]!, group.id, [A, B]);
  });
  after(async () => {
    for (const c of clients) c.close();
    await proxy.close();
    await closeServer(s);
  });

  /** A member's acked seq as the server holds it. */
  const ackedSeq = async (p: string) =>
    (await s.api.req('GET', `/v1/groups/${group.id}`, undefined, tokens[p])).json.ackedSeq as number;

  /** The group's last seq, as the owner sees it. */
  const lastSeq = async () =>
    (await s.api.req('GET', `/v1/groups/${group.id}`, undefined, tokens[O])).json.lastSeq as number;

  async function scenario(member: string, webOnline: boolean, label: string) {
    const checker = new DeliveryChecker();
    // Earlier scenarios on this server are not this one's business.
    checker.member(member, [{ groupId: group.id, afterSeq: await lastSeq() }]);
    const sms = new SmsCollector(() => s.api, checker);
    await sms.mark(member);
    // Web-online first (pulls that drain the backlog), so nothing the live client gets also shows in the inbox.
    if (webOnline) await drainInbox(s.api, tokens[member]!, checker, member);
    const c = new QunClient({ baseUrl: proxy.url, token: tokens[member]! });
    clients.push(c);
    recordLive(checker, member, c);
    await c.connect();
    const conn = await eventually(() => proxy.websockets().find((x) => x.upstreamClosedAt === 0));
    const sender = httpSender(`${label}o`, () => s.api, tokens[O]!, group.id);

    // Before the freeze: delivered live and acked.
    await runSender(sender, checker, { count: 5 });
    const last = await lastSeq();
    await eventually(async () => ((await ackedSeq(member)) >= last ? true : undefined), 5000, 'acks');

    // The link goes dead: nothing passes, nobody is told. Ten messages are written into it.
    proxy.freeze(conn);
    const frozenAt = Date.now();
    await runSender({ ...sender, name: `${label}f` }, checker, { count: 10 });
    const detectedAt = await eventually(
      () => conn.upstreamClosedAt || undefined,
      HEARTBEAT_MS * 2 + ACK_TIMEOUT_MS + 2000,
      'server closing the half-open socket',
    );
    const detectMs = detectedAt - frozenAt;
    console.log(`${label}: half-open socket closed by the server ${detectMs} ms after the freeze`);
    // How fast is printed above and measured by the benchmarks; asserting on it here would make the test
    // depend on the machine's load. What must hold: the server found the dead link by itself (the
    // `eventually` above waited at most two heartbeats + the ack timeout) and nothing was lost or doubled.
    assert.ok(c.connected, 'the client itself never noticed: the link is half-open');

    // What the frozen socket never acked must now be reachable: by text, or in the web-online member's inbox.
    const collect = async () => {
      await s.settle();
      await sms.collect(member);
      if (webOnline) await pullInbox(s.api, tokens[member]!, checker, member);
    };
    await eventually(
      async () => {
        await collect();
        return checker.report().members[0]!.lost.length === 0 ? true : undefined;
      },
      5000,
      'fallback of the unacked messages',
    ).catch(() => undefined);
    // After the detection new messages take the fallback rung directly.
    await runSender({ ...sender, name: `${label}a` }, checker, { count: 5 });
    await sleep(ACK_TIMEOUT_MS * 2);
    await collect();
    const rep = checker.report();
    assertClean(`half-open ${label}`, rep);
    const m = rep.members[0]!;
    if (webOnline)
      assert.equal(m.byChannel.sms, 0, 'a web-online member gets the fallback in the inbox, not by SMS');
    else assert.equal(m.byChannel.sms, 15, 'the unacked and the later messages went by SMS');
    c.close();
  }

  test('a frozen live member is detected and its unacked messages go by SMS, once each', async () => {
    await scenario(A, false, 'a');
  });

  test('a frozen live member who is web-online finds the unacked messages in the inbox', async () => {
    await scenario(B, true, 'b');
  });
});

// When the heartbeat finds the dead link before the ack deadline, messages accepted after that go by SMS at once,
// while the ones already written into the dead socket wait for the deadline: the member's texts come out of order.
describe('half-open found by the heartbeat before the ack deadline', () => {
  let s: TestServer;
  let proxy: TcpProxy;
  const clients: QunClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    await proxy?.close();
    await closeServer(s);
  });

  test('the dead socket’s unacked message is texted before the messages that follow it', async () => {
    s = await startTestServer({
      ...SIGNIN_ENV,
      QUN_LIVE_ACK_TIMEOUT: '1500ms',
      QUN_LIVE_HEARTBEAT: '200ms',
    });
    proxy = await TcpProxy.start(s.port);
    const [o, c] = [phone(4102, 0), phone(4102, 1)];
    const ot = await signIn(s.api, o);
    const ct = await signIn(s.api, c);
    const group = await createGroup(s.api, ot, 'Heartbeat first');
    await addMembers(s.api, ot, group.id, [c]);
    const checker = new DeliveryChecker();
    checker.member(c, [{ groupId: group.id }]);
    const sms = new SmsCollector(() => s.api, checker);
    await sms.mark(c);
    const client = new QunClient({ baseUrl: proxy.url, token: ct });
    clients.push(client);
    recordLive(checker, c, client);
    await client.connect();
    const conn = await eventually(() => proxy.websockets()[0]);
    const sender = httpSender('h', () => s.api, ot, group.id);
    proxy.freeze(conn);
    await runSender(sender, checker, { count: 1 });
    await eventually(() => conn.upstreamClosedAt || undefined, 2000, 'heartbeat closing the socket');
    await runSender({ ...sender, name: 'k' }, checker, { count: 3 });
    await eventually(
      async () => {
        await s.settle();
        await sms.collect(c);
        return checker.report().totals.lost === 0 ? true : undefined;
      },
      5000,
      'all four texts',
    );
    assertClean('heartbeat before ack deadline', checker.report());
  });
});
