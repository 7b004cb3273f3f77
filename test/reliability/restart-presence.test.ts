// Presence outlives the process (issue 10, item 1): a member live when the server stopped (kill -9 or SIGTERM) is
// "reconnecting" for one ack timeout after start, and a web-online member stays web-online for the rest of the TTL,
// so a message accepted right after the restart reaches them live / in the inbox and is never also texted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import type { WireMessage } from '../../src/domain/live-protocol.ts';
import { Api, type ChildServer, eventually, spawnServer, tempDir } from '../helpers/server.ts';
import {
  addMembers,
  createGroup,
  phone,
  SIGNIN_ENV,
  signIn,
  sleep,
  textsAfter,
  viaOf,
} from '../helpers/workload.ts';

// Long enough that "1 s after the restart" is well inside it, short enough to keep the test quick.
const ACK_TIMEOUT_MS = 5000;
const ENV = {
  ...SIGNIN_ENV,
  QUN_LIVE_ACK_TIMEOUT: `${ACK_TIMEOUT_MS}ms`,
  QUN_LIVE_HEARTBEAT: '2s',
  QUN_WEB_ONLINE_TTL: '60s',
};

const servers: ChildServer[] = [];
const clients: QunClient[] = [];
const dirs: string[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.kill();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The trail's steps for one member of one message, as the sender sees them. */
async function stepsOf(api: Api, token: string, msgId: string, member: string) {
  const r = await api.req('GET', `/v1/messages/${msgId}/trail`, undefined, token);
  assert.equal(r.status, 200, `trail of ${msgId}`);
  const m = r.json.members.find((x: { phone: string }) => x.phone === member);
  assert.ok(m, `${member} is in the trail`);
  return m.steps as { rung: string; outcome: string; reason: string }[];
}

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  describe(`${signal} restart, then seq 2 posted at once`, () => {
    const block = signal === 'SIGKILL' ? 5001 : 5002;
    const [O, L, W] = [phone(block, 0), phone(block, 1), phone(block, 2)];
    const body = `after ${signal} restart`;
    let api: Api;
    let tokens: Record<'O' | 'L' | 'W', string>;
    let groupId = 0;
    let msgId = '';
    const textsBefore = { L: 0, W: 0 };
    const got: WireMessage[] = [];

    before(async () => {
      const dir = tempDir('qun-restart-presence-');
      dirs.push(dir);
      let server = await spawnServer(dir, ENV);
      servers.push(server);
      api = new Api(server.url);
      tokens = { O: await signIn(api, O), L: await signIn(api, L), W: await signIn(api, W) };
      const group = await createGroup(api, tokens.O, `Restart ${signal}`);
      groupId = group.id;
      await addMembers(api, tokens.O, group.id, [L, W]);

      // L is live and has acked seq 1; W pulled the inbox (web-online) just before the restart.
      const first = new QunClient({ baseUrl: server.url, token: tokens.L });
      clients.push(first);
      await first.connect();
      const p1 = await api.req(
        'POST',
        `/v1/groups/${group.id}/messages`,
        { body: 'before restart' },
        tokens.O,
      );
      assert.equal(p1.status, 201);
      assert.equal(p1.json.seq, 1);
      await eventually(
        async () => ((await ackedSeq(tokens.L)) >= 1 ? true : undefined),
        5000,
        'L acked seq 1',
      );
      const w1 = await api.req('GET', '/v1/inbox', undefined, tokens.W);
      assert.equal(w1.status, 200);
      // Confirm what that pull showed, so seq 1 is W's and W is web-online right up to the stop.
      assert.equal((await api.req('GET', `/v1/inbox?seen=${w1.json.seen}`, undefined, tokens.W)).status, 200);
      textsBefore.L = (await textsAfter(api, L)).at(-1)?.id ?? 0;
      textsBefore.W = (await textsAfter(api, W)).at(-1)?.id ?? 0;

      await server.kill(signal);
      first.close();
      server = await spawnServer(dir, ENV);
      servers.push(server);
      api = new Api(server.url);

      // At once: O posts seq 2.
      const p2 = await api.req('POST', `/v1/groups/${group.id}/messages`, { body }, tokens.O);
      assert.equal(p2.status, 201);
      assert.equal(p2.json.seq, 2);
      msgId = p2.json.id;

      // One second later L reconnects with auth + resume {g:1}.
      await sleep(1000);
      const second = new QunClient({ baseUrl: server.url, token: tokens.L });
      clients.push(second);
      second.on('message', (m) => got.push(m));
      await second.connect({ resume: { [group.id]: 1 } });
      await eventually(() => (got.some((m) => m.seq === 2) ? true : undefined), 5000, 'seq 2 live').catch(
        () => undefined,
      );
      await eventually(
        async () => ((await ackedSeq(tokens.L)) >= 2 ? true : undefined),
        5000,
        'L acked seq 2',
      ).catch(() => undefined);
      // Past the ack timeout after start, and time for any wrongly queued text to reach the phone.
      await sleep(ACK_TIMEOUT_MS + 1500);
    });

    const ackedSeq = async (token: string) =>
      (await api.req('GET', `/v1/groups/${groupId}`, undefined, token)).json.ackedSeq as number;

    test('the member who was live gets seq 2 live, once, raised as new', () => {
      const copies = got.filter((m) => m.seq === 2);
      assert.equal(copies.length, 1, 'seq 2 raised once');
      assert.equal(viaOf(copies[0]!), undefined, 'raised as new, not marked as delivered elsewhere');
    });

    test('the member who was live is not also texted seq 2, and the trail says so', async () => {
      const texts = (await textsAfter(api, L, textsBefore.L)).filter((t) => t.text.includes(body));
      assert.deepEqual(texts, [], `L (live before the ${signal}) must not also be texted seq 2`);
      const steps = await stepsOf(api, tokens.O, msgId, L);
      assert.deepEqual(
        steps.filter((s) => s.rung === 'sms'),
        [],
        `L's trail has no sms row for seq 2: ${JSON.stringify(steps)}`,
      );
      assert.ok(
        steps.some((s) => s.rung === 'live' && s.outcome === 'acked'),
        `L's trail shows the live ack: ${JSON.stringify(steps)}`,
      );
    });

    test('the member who was web-online finds seq 2 in the inbox and is not texted it', async () => {
      const texts = (await textsAfter(api, W, textsBefore.W)).filter((t) => t.text.includes(body));
      assert.deepEqual(texts, [], `W (web-online before the ${signal}) must not be texted seq 2`);
      const steps = await stepsOf(api, tokens.O, msgId, W);
      assert.deepEqual(
        steps.filter((s) => s.rung === 'sms'),
        [],
        `W's trail has no sms row for seq 2: ${JSON.stringify(steps)}`,
      );
      const r = await api.req('GET', '/v1/inbox', undefined, tokens.W);
      assert.equal(r.status, 200);
      const shown = r.json.groups.find((g: { id: number }) => g.id === groupId)?.messages ?? [];
      const item = shown.find((m: { seq: number }) => m.seq === 2);
      assert.ok(item, `seq 2 is in W's inbox: ${JSON.stringify(shown)}`);
      assert.equal(viaOf(item), undefined, 'shown as new in the inbox');
      assert.equal(item.body, body);
    });
  });
}
