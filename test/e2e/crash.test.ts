// Accepted means durable: a server child process is SIGKILLed right after the last 202 and restarted
// on the same data; every member then has each message exactly once, in order — SMS members by text,
// the live member by resuming from its last sequence number, the inbox member by pulling.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import type { WireMessage } from '../../src/domain/live-protocol.ts';
import { Api, type ChildServer, eventually, spawnServer, tempDir } from '../helpers/server.ts';

const N = 60;
const OWNER = '+8613600136000';
const SMS_MEMBERS = ['+8613600136001', '+8613600136002'];
const LIVE = '+8613600136003';
const INBOX = '+8613600136004';
const ENV = { QUN_LIVE_ACK_TIMEOUT: '300ms', QUN_WEB_ONLINE_TTL: '60s' };

let server: ChildServer | undefined;
after(async () => {
  await server?.kill();
});

test('SIGKILL right after the last 202 loses nothing and duplicates nothing', async () => {
  const dir = tempDir('qun-crash-');
  server = await spawnServer(dir, ENV);
  let api = new Api(server.url);
  const until = async (phone: string, n: number) =>
    eventually(
      async () => ((await api.texts(phone)).length >= n ? true : undefined),
      15_000,
      `${n} texts to ${phone}`,
    );
  await api.sms(OWNER, '10658', 'CREATE Crash');
  await until(OWNER, 1);
  const address = /(1065801\d{4,})/.exec((await api.texts(OWNER))[0]!.text)![1]!;
  await api.sms(OWNER, address, `G ${[...SMS_MEMBERS, LIVE, INBOX].join(' ')}`);
  for (const p of [...SMS_MEMBERS, LIVE, INBOX]) {
    await until(p, 1);
    await api.sms(p, address, 'Y');
  }
  const signIn = (p: string) => api.signIn(p, () => new Promise((r) => setTimeout(r, 150)));
  const liveToken = await signIn(LIVE);
  const inboxToken = await signIn(INBOX);
  const groupId = (await api.req('GET', '/v1/groups', undefined, liveToken)).json.groups[0].id as number;
  const live = new QunClient({ baseUrl: server.url, token: liveToken });
  const got: WireMessage[] = [];
  live.on('message', (m) => got.push(m));
  await live.connect();
  await api.req('GET', '/v1/inbox', undefined, inboxToken);
  const before = Object.fromEntries(
    await Promise.all(SMS_MEMBERS.map(async (p) => [p, (await api.texts(p)).length])),
  );

  for (let i = 0; i < N; i++) await api.sms(OWNER, address, `crash message ${i}`, `mo-${i}`);
  await server.kill('SIGKILL');
  live.close();

  server = await spawnServer(dir, ENV);
  api = new Api(server.url);
  const expected = Array.from({ length: N }, (_, i) => `crash message ${i}`);
  for (const p of SMS_MEMBERS) {
    const t = await eventually(
      async () => {
        const all = await api.texts(p);
        return all.length >= before[p] + N ? all : undefined;
      },
      20_000,
      `texts to ${p}`,
    );
    await new Promise((r) => setTimeout(r, 500));
    const bodies = (await api.texts(p)).slice(before[p]).map((x) => /crash message \d+/.exec(x.text)?.[0]);
    assert.deepEqual(bodies, expected, `${p} has each message exactly once, in order`);
    void t;
  }
  // The live member resumes from the last seq it holds.
  const resumed = new QunClient({ baseUrl: server.url, token: liveToken });
  const got2: WireMessage[] = [];
  resumed.on('message', (m) => got2.push(m));
  await resumed.connect({ resume: { [groupId]: live.streams.lastContiguous(groupId) } });
  await eventually(
    () => ([...got, ...got2].filter((m) => m.body.startsWith('crash')).length >= N ? true : undefined),
    15_000,
    'live copies',
  );
  const liveBodies = new Map([...got, ...got2].map((m) => [m.id, m.body]));
  assert.deepEqual(
    [...liveBodies.values()].filter((b) => b.startsWith('crash')),
    expected,
  );
  resumed.close();
  // The inbox member pulls them (paged: 50 per pull).
  const pulled: string[] = [];
  let seen = '';
  for (let i = 0; i < 3; i++) {
    const r = await api.req('GET', `/v1/inbox?seen=${seen}`, undefined, inboxToken);
    seen = r.json.seen;
    for (const m of r.json.groups[0].messages) if (m.body.startsWith('crash')) pulled.push(m.body);
  }
  // Whatever did not reach the inbox in time went by SMS: together, each message exactly once.
  const inboxTexts = (await api.texts(INBOX))
    .map((x) => /crash message \d+/.exec(x.text)?.[0])
    .filter(Boolean) as string[];
  assert.deepEqual([...pulled, ...inboxTexts].sort(), [...expected].sort());
});
