// Two nodes in one process on one PostgreSQL database and one Redis (real servers, real sockets): the
// parts of issue 13 that need no process to die. A member live on node B gets node A's messages live and
// is not texted them; an SMS-only member gets each message once, by text, whichever node accepted it;
// a member added through node A while live on node B follows the group at once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import { freshDatabase, postgresInstalled } from '../helpers/postgres.ts';
import { freshDb, redisInstalled, redisUrl } from '../helpers/redis.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import {
  addMembers,
  closeServer,
  createGroup,
  phone,
  SIGNIN_ENV,
  signIn,
  textsAfter,
} from '../helpers/workload.ts';

// Always on PostgreSQL and Redis: under QUN_TEST_STORE=postgres (npm run test:pg) it would only run twice.
const ready =
  process.env.QUN_TEST_STORE !== 'postgres' && postgresInstalled('two nodes') && redisInstalled('two nodes');
const O = phone(6201, 0);
const LIVE = phone(6201, 1);
const SMS = phone(6201, 2);
const LATE = phone(6201, 3);

let a: TestServer;
let b: TestServer;
const clients: QunClient[] = [];

if (ready) {
  before(async () => {
    const env = {
      ...SIGNIN_ENV,
      QUN_DATABASE_URL: await freshDatabase(),
      QUN_REDIS_URL: await redisUrl(freshDb()),
      QUN_LIVE_ACK_TIMEOUT: '2s',
      QUN_LIVE_HEARTBEAT: '1s',
    };
    a = await startTestServer({ ...env, QUN_NODE_ID: 'node-a' });
    b = await startTestServer({ ...env, QUN_NODE_ID: 'node-b' });
  });
  after(async () => {
    for (const c of clients) c.close();
    await closeServer(a);
    await closeServer(b);
  });

  test('node B’s live member gets node A’s messages live, once; the SMS-only member gets each by text, once', async () => {
    const ot = await signIn(a.api, O);
    const lt = await signIn(b.api, LIVE);
    const group = await createGroup(a.api, ot, 'Two nodes');
    await addMembers(a.api, ot, group.id, [LIVE, SMS]);
    const live = new QunClient({ baseUrl: b.url, token: lt });
    clients.push(live);
    const got: number[] = [];
    live.on('message', (m) => {
      if (m.g === group.id && m.via === undefined) got.push(m.seq);
    });
    await live.connect();
    const before = {
      live: (await textsAfter(a.api, LIVE)).length,
      sms: (await textsAfter(a.api, SMS)).length,
    };
    for (let i = 1; i <= 6; i++) {
      const node = i % 2 === 0 ? b : a;
      const r = await node.api.req('POST', `/v1/groups/${group.id}/messages`, { body: `m${i}` }, ot);
      assert.equal(r.status, 201, JSON.stringify(r.json));
    }
    await eventually(() => (got.length >= 6 ? true : undefined), 10_000, 'six live messages on node B');
    // Past two ack timeouts: nothing falls through for the live member, and the SMS-only member's texts are out.
    await new Promise((r) => setTimeout(r, 4500));
    await a.settle();
    await b.settle();
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6], 'live, in order, once');
    // The group's texts only: the invitation may still have been on its way when the count was taken.
    const texts = (await textsAfter(a.api, SMS))
      .slice(before.sms)
      .map((t) => /: m(\d)$/.exec(t.text)?.[1])
      .filter((x) => x !== undefined);
    assert.deepEqual(
      texts,
      ['1', '2', '3', '4', '5', '6'],
      'the SMS-only member: each message once, in order',
    );
    const liveTexts = (await textsAfter(a.api, LIVE)).slice(before.live).filter((t) => /: m\d$/.test(t.text));
    assert.deepEqual(liveTexts, [], 'the live member is texted none of them');
  });

  test('a member added through node A while live on node B follows the group at once', async () => {
    const ot = await signIn(a.api, O);
    const late = await signIn(b.api, LATE);
    const group = await createGroup(a.api, ot, 'Late join');
    const client = new QunClient({ baseUrl: b.url, token: late });
    clients.push(client);
    const got: number[] = [];
    client.on('message', (m) => {
      if (m.g === group.id) got.push(m.seq);
    });
    await client.connect();
    await addMembers(a.api, ot, group.id, [LATE]);
    // The hint reaches node B after the commit; give it a moment before the message.
    await eventually(
      async () =>
        (await b.api.req('GET', `/v1/groups/${group.id}`, undefined, late)).status === 200 ? true : undefined,
      5000,
      'membership visible',
    );
    const r = await a.api.req('POST', `/v1/groups/${group.id}/messages`, { body: 'welcome' }, ot);
    assert.equal(r.status, 201);
    await eventually(() => (got.includes(r.json.seq) ? true : undefined), 5000, 'the message live on node B');
  });
}
