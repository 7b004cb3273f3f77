// A lossy link, then a resume (issue 10, item 2): the client holds seq 2, the frames for 3 and 4 are lost, the ack
// timeout texts 3 and 4 and closes the socket; when the client resumes from 2, 3 and 4 stream again marked
// `"via":"sms"`, so the client shows them in history without raising them as new: one delivery each, by SMS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import { assertClean, DeliveryChecker } from '../helpers/checker.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import { freePort, TcpProxy } from '../helpers/tcp-proxy.ts';
import {
  addMembers,
  closeServer,
  createGroup,
  history,
  httpSender,
  phone,
  recordLive,
  runSender,
  SIGNIN_ENV,
  SmsCollector,
  signIn,
  viaOf,
} from '../helpers/workload.ts';

const ACK_TIMEOUT_MS = 1000;
const O = phone(5101, 0);
const L = phone(5101, 1);

let s: TestServer;
let proxy: TcpProxy;
const clients: QunClient[] = [];
before(async () => {
  // The heartbeat is slow on purpose: pings pass the proxy, only the two msg frames are lost, so it is the ack
  // timeout, not the heartbeat, that finds out.
  s = await startTestServer({
    ...SIGNIN_ENV,
    QUN_LIVE_ACK_TIMEOUT: `${ACK_TIMEOUT_MS}ms`,
    QUN_LIVE_HEARTBEAT: '30s',
  });
  proxy = await TcpProxy.start(s.port);
});
after(async () => {
  for (const c of clients) c.close();
  await proxy.close();
  await closeServer(s);
});

interface MsgLine {
  t: string;
  g: number;
  seq: number;
  via?: string;
}

test('frames lost on a live link, texted at the ack timeout, come back on resume marked via sms and not as new', async () => {
  const ot = await signIn(s.api, O);
  const lt = await signIn(s.api, L);
  const group = await createGroup(s.api, ot, 'Lossy link');
  await addMembers(s.api, ot, group.id, [L]);

  const checker = new DeliveryChecker();
  checker.member(L, [{ groupId: group.id }]);
  const sms = new SmsCollector(() => s.api, checker);
  await sms.mark(L);

  // Every msg frame the server writes towards L, per connection, as it is on the wire (before the client).
  let dropping = false;
  let connection = 1;
  const wire: (MsgLine & { connection: number; dropped: boolean })[] = [];
  proxy.filter = (payload) => {
    const lines = payload
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as MsgLine);
    const drop = dropping && lines.some((f) => f.t === 'msg' && (f.seq === 3 || f.seq === 4));
    for (const f of lines) if (f.t === 'msg') wire.push({ ...f, connection, dropped: drop });
    return drop;
  };

  const client = new QunClient({ baseUrl: proxy.url, token: lt });
  clients.push(client);
  const got = recordLive(checker, L, client);
  await client.connect();
  const sender = httpSender('lossy', () => s.api, ot, group.id);
  await runSender(sender, checker, { count: 2 });
  await eventually(() => (client.streams.lastContiguous(group.id) >= 2 ? true : undefined), 5000, 'seq 2');
  const acked = async () =>
    (await s.api.req('GET', `/v1/groups/${group.id}`, undefined, lt)).json.ackedSeq as number;
  await eventually(async () => ((await acked()) >= 2 ? true : undefined), 5000, 'ack of seq 2');

  // Frames 3 and 4 are lost on the way. When the server gives up on them and closes the socket, the client's
  // reconnects are refused until both texts are on L's phone: the resume must come after the texts left.
  dropping = true;
  const deadPort = await freePort();
  const closed = new Promise<number>((resolve) =>
    client.on('close', (e) => {
      dropping = false;
      connection++;
      proxy.targetPort = deadPort;
      resolve(e.code);
    }),
  );
  await runSender({ ...sender, name: 'lost' }, checker, { count: 2 });
  const code = await Promise.race([
    closed,
    new Promise<number>((r) => setTimeout(() => r(-1), ACK_TIMEOUT_MS * 4)),
  ]);
  assert.notEqual(code, -1, 'the server closed the socket at the ack timeout');
  assert.equal(client.streams.lastContiguous(group.id), 2, 'the client still holds only seq 2');
  await eventually(
    async () => {
      await s.settle();
      await sms.collect(L);
      return checker.report().members[0]!.lost.length === 0 ? true : undefined;
    },
    5000,
    'seq 3 and 4 texted',
  );
  proxy.targetPort = s.port;

  // The client resumes {g:2} by itself and gets 3 and 4 again.
  await eventually(
    () => (client.streams.lastContiguous(group.id) >= 4 ? true : undefined),
    15_000,
    'resume to 4',
  );
  await s.settle();
  await sms.collect(L);

  const again = wire.filter((f) => f.connection > 1 && f.seq >= 3);
  assert.deepEqual(
    again.map((f) => [f.seq, f.via]),
    [
      [3, 'sms'],
      [4, 'sms'],
    ],
    `on the resumed socket 3 and 4 are marked as already texted: ${JSON.stringify(again)}`,
  );
  assert.deepEqual(
    wire.filter((f) => f.seq <= 2).map((f) => viaOf(f)),
    [undefined, undefined],
    'frames raised as new carry no via',
  );
  // The typed client hands 3 and 4 to the app with the mark (history), 1 and 2 without it (new).
  assert.deepEqual(
    got.map((m) => [m.seq, viaOf(m)]),
    [
      [1, undefined],
      [2, undefined],
      [3, 'sms'],
      [4, 'sms'],
    ],
  );
  // L's history over HTTP carries the same mark: 3 and 4 reached L by SMS.
  const h = await history(s.api, lt, group.id);
  assert.deepEqual(
    h.map((m) => [m.seq, viaOf(m)]),
    [
      [1, undefined],
      [2, undefined],
      [3, 'sms'],
      [4, 'sms'],
    ],
    'history marks what reached L by SMS',
  );
  const rep = checker.report();
  assertClean('half-open resume', rep);
  assert.equal(rep.members[0]!.byChannel.sms, 2, 'one delivery of 3 and 4 each: the text');
  assert.equal(rep.members[0]!.byChannel.live, 2, 'one delivery of 1 and 2 each: live');
});
