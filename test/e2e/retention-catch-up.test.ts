// A live client resuming from before what retention removed gets one range `skip` and then the rest of
// the log, in order, with no gap left open (without it the catch-up would wait on seq 1 forever).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import type { WireMessage } from '../../src/domain/live-protocol.ts';
import { openStore } from '../../src/store/open-store.ts';
import { eventually, startTestServer } from '../helpers/server.ts';

const DAY = 86_400_000;

test('catch-up after retention: a range skip, then the remaining messages', async () => {
  const server = await startTestServer();
  let client: QunClient | undefined;
  try {
    const token = await server.api.signIn('+8613900139000', () => server.settle());
    const g = (await server.api.req('POST', '/v1/groups', { name: 'Old news' }, token)).json.id as number;
    for (let i = 1; i <= 6; i++) {
      const r = await server.api.req(
        'POST',
        `/v1/groups/${g}/messages`,
        { body: `m${i}`, clientMsgId: `c${i}` },
        token,
      );
      assert.equal(r.status, 201, JSON.stringify(r.json));
    }
    await server.settle();
    // The operator's retention, from a second connection to the same store (file or database): the three
    // oldest go.
    const { config } = server;
    const side = await openStore({
      ...config,
      gateway: config.smsGateway,
      reminderDelayMs: config.reminderDelay,
    });
    assert.equal((await side.maintenance.pruneHistory(Date.now() + 2 * DAY, 1, 3)).deleted, 3);
    await side.close();
    const history = await server.api.req('GET', `/v1/groups/${g}/messages?after=0`, undefined, token);
    assert.deepEqual(
      history.json.messages.map((m: { seq: number }) => m.seq),
      [4, 5, 6],
    );

    const live = new QunClient({ baseUrl: server.url, token });
    client = live;
    const got: WireMessage[] = [];
    live.on('message', (m) => got.push(m));
    await live.connect({ resume: { [g]: 0 } });
    await eventually(
      () => (live.streams.lastContiguous(g) === 6 ? true : undefined),
      10_000,
      'catch-up to 6',
    );
    assert.deepEqual(
      got.map((m) => m.body),
      ['m4', 'm5', 'm6'],
    );
    assert.deepEqual(live.streams.gaps(), []);
  } finally {
    client?.close();
    await server.close();
  }
});
