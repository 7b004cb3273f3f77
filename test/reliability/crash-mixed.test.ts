// SIGKILL during fan-out to live, inbox and SMS members, restarted at once on the same data: nothing lost, twice or out of order (QUN_CRASHES, QUN_CRASH_MESSAGES, QUN_CRASH_MEMBERS).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import { assertClean, DeliveryChecker } from '../helpers/checker.ts';
import { Api, type ChildServer, eventually, spawnServer, tempDir } from '../helpers/server.ts';
import { freePort } from '../helpers/tcp-proxy.ts';
import {
  addMembers,
  createGroup,
  drainInbox,
  history,
  httpSender,
  optOut,
  phone,
  pullInbox,
  recordLive,
  runSender,
  SIGNIN_ENV,
  SmsCollector,
  signIn,
  sleep,
  smsSender,
  wsSender,
} from '../helpers/workload.ts';

// The full run: QUN_CRASHES=10 QUN_CRASH_MESSAGES=10000 QUN_CRASH_MEMBERS=25 (defaults keep npm test fast).
const CRASHES = Number(process.env.QUN_CRASHES ?? 3);
const MESSAGES = Number(process.env.QUN_CRASH_MESSAGES ?? 180);
const MEMBERS = Number(process.env.QUN_CRASH_MEMBERS ?? 9);
const ACK_TIMEOUT_MS = 2000;

let server: ChildServer | undefined;
const clients: QunClient[] = [];
let stopPolling = () => {};
let dataDir = '';
after(async () => {
  stopPolling();
  for (const c of clients) c.close();
  await server?.kill();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

test(`${CRASHES} SIGKILLs during fan-out of ${MESSAGES} messages to ${MEMBERS} mixed members lose and repeat nothing`, async () => {
  const dir = tempDir('qun-crash-mixed-');
  dataDir = dir;
  const port = await freePort();
  const env = {
    ...SIGNIN_ENV,
    PORT: String(port),
    // Long enough for a live client to reconnect and resume before recovery routes its range elsewhere.
    QUN_LIVE_ACK_TIMEOUT: `${ACK_TIMEOUT_MS}ms`,
    QUN_LIVE_HEARTBEAT: '2s',
    QUN_WEB_ONLINE_TTL: '3s',
  };
  server = await spawnServer(dir, env);
  let api = new Api(server.url);
  const A = () => api;

  const owner = phone(4801, 0);
  const kinds = ['live', 'inbox', 'sms'] as const;
  const members = Array.from({ length: MEMBERS }, (_, i) => ({ phone: phone(4802, i), kind: kinds[i % 3]! }));
  const ownerToken = await signIn(api, owner);
  const tokens = new Map<string, string>();
  for (const m of members) if (m.kind !== 'sms') tokens.set(m.phone, await signIn(api, m.phone));
  const group = await createGroup(api, ownerToken, 'Crash mix');
  await addMembers(
    api,
    ownerToken,
    group.id,
    members.map((m) => m.phone),
  );
  // Live members are app-only (STOP): their fallback is the inbox, drained at the end, so every copy is seen.
  for (const m of members) if (m.kind === 'live') await optOut(api, m.phone);

  const checker = new DeliveryChecker();
  for (const m of members) checker.member(m.phone, [{ groupId: group.id }]);
  const sms = new SmsCollector(A, checker);
  for (const m of members) await sms.mark(m.phone);
  for (const m of members.filter((x) => x.kind === 'live')) {
    const c = new QunClient({ baseUrl: server.url, token: tokens.get(m.phone)! });
    clients.push(c);
    recordLive(checker, m.phone, c);
    await c.connect();
  }
  // Inbox members keep their mobile inbox open: a pull every 300 ms (failures while the server is down are retried).
  let polling = true;
  stopPolling = () => {
    polling = false;
  };
  const pollers = members
    .filter((m) => m.kind === 'inbox')
    .map(async (m) => {
      while (polling) {
        await pullInbox(api, tokens.get(m.phone)!, checker, m.phone).catch(() => undefined);
        await sleep(300);
      }
    });

  // Senders: the owner over HTTP, an SMS member by text, a live member over its socket.
  const smsMember = members.find((m) => m.kind === 'sms')!;
  const liveMember = members.find((m) => m.kind === 'live')!;
  const per = Math.ceil(MESSAGES / 3);
  const sending = Promise.all([
    runSender(httpSender('own', A, ownerToken, group.id), checker, { count: per, intervalMs: 15 }),
    runSender(
      { ...smsSender('txt', A, smsMember.phone, group.address, group.id), member: smsMember.phone },
      checker,
      {
        count: per,
        intervalMs: 15,
      },
    ),
    runSender({ ...wsSender('sock', clients[0]!, group.id), member: liveMember.phone }, checker, {
      count: per,
      intervalMs: 15,
    }),
  ]);

  // The crashes: at random points of the run, each followed at once by a restart on the same data and port.
  const restarts: number[] = [];
  for (let k = 1; k <= CRASHES; k++) {
    const at = Math.floor((MESSAGES * (k - 0.5 + Math.random() * 0.8)) / (CRASHES + 1));
    await eventually(() => (checker.acceptedCount >= at ? true : undefined), 60_000, `${at} accepted`);
    await server.kill('SIGKILL');
    const t0 = Date.now();
    server = await spawnServer(dir, env);
    restarts.push(Date.now() - t0);
    api = new Api(server.url);
  }
  await sending;
  console.log(`crash-mixed: restarts took ${restarts.join(', ')} ms`);

  // Let recovery run (it waits the ack timeout after start), then collect until nothing is missing.
  const lastSeq = async () =>
    (await api.req('GET', `/v1/groups/${group.id}`, undefined, ownerToken)).json.lastSeq as number;
  const end = await lastSeq();
  await eventually(
    () => (clients.every((c) => c.connected && c.streams.lastContiguous(group.id) >= end) ? true : undefined),
    30_000,
    'live members caught up',
  );
  stopPolling();
  await Promise.all(pollers);
  await sleep(ACK_TIMEOUT_MS + 1000);
  await eventually(
    async () => {
      for (const m of members) {
        if (m.kind !== 'sms') await drainInbox(api, tokens.get(m.phone)!, checker, m.phone);
        await sms.collect(m.phone);
      }
      return checker.report().totals.lost === 0 ? true : undefined;
    },
    10_000,
    'every member has every message',
  ).catch(() => undefined);
  await sleep(500);
  for (const m of members) await sms.collect(m.phone);
  checker.learnLog(group.id, await history(api, ownerToken, group.id));
  const rep = checker.report();
  assertClean(`crash-mixed (${CRASHES} crashes)`, rep);
  assert.equal(rep.accepted, per * 3, 'every send was eventually accepted');
  for (const c of clients) assert.deepEqual(c.streams.gaps(), [], 'no live member holds frames past a gap');
});
