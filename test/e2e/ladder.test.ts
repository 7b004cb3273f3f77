// The presence ladder end to end (patent steps 104–107): live with acks, web-online inbox, SMS, ack
// timeout fall-through, Web Push reminder, escalation with cancel, and resume after a reconnect.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import type { WireMessage } from '../../src/domain/live-protocol.ts';
import { type PushService, startPushService } from '../helpers/push-service.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';

const O = '+8613700137000'; // owner, SMS only
const A = '+8613700137001'; // live
const B = '+8613700137002'; // web-online
const C = '+8613700137003'; // neither

describe('the ladder', () => {
  let s: TestServer;
  let push: PushService;
  let address = '';
  let groupId = 0;
  const tokens: Record<string, string> = {};
  const clients: QunClient[] = [];
  const sms = async (from: string, to: string, text: string) => {
    await s.api.sms(from, to, text);
    await s.settle();
  };
  const texts = (p: string) => s.api.texts(p);

  before(async () => {
    push = await startPushService();
    s = await startTestServer(
      {
        QUN_LIVE_ACK_TIMEOUT: '400ms',
        QUN_LIVE_HEARTBEAT: '30s',
        QUN_REMINDER_SCAN_INTERVAL: '1h', // the test runs scans itself
        QUN_REMINDER_DELAY: '0s',
        QUN_ESCALATE_DELAY: '300ms',
        QUN_WEB_ONLINE_TTL: '60s',
      },
      { pushAgent: push.agent },
    );
    await sms(O, '10658', 'CREATE Ladder');
    address = /(1065801\d{4,})/.exec((await texts(O)).at(-1)!.text)![1]!;
    await sms(O, address, 'G 13700137001 13700137002 13700137003');
    for (const p of [A, B, C]) await sms(p, address, 'Y');
    for (const p of [O, A, B]) tokens[p] = await s.api.signIn(p, () => s.settle());
    const g = await s.api.req('GET', '/v1/groups', undefined, tokens[O]);
    groupId = g.json.groups[0].id;
  });
  after(async () => {
    for (const c of clients) c.close();
    await s.close();
    await push.close();
  });

  const live = async (phone: string, opts: { autoAck?: boolean } = {}) => {
    const c = new QunClient({ baseUrl: s.url, token: tokens[phone]! });
    const got: WireMessage[] = [];
    c.on('message', (m) => got.push(m));
    await c.connect(opts);
    clients.push(c);
    return { c, got };
  };
  // A pull, then a pull that confirms it (`seen`): only confirmed messages count as fetched.
  const seen: Record<string, string> = {};
  const pull = async (phone: string) => {
    const q = seen[phone] ? `?seen=${seen[phone]}` : '';
    const r = (await s.api.req('GET', `/v1/inbox${q}`, undefined, tokens[phone])).json;
    seen[phone] = r.seen;
    return r;
  };
  const inbox = async (phone: string) => {
    const r = await pull(phone);
    await pull(phone);
    return r;
  };

  test('one message takes three paths: A live and acks, B finds it in the inbox, C gets a text', async () => {
    const a = await live(A);
    await inbox(B); // B's mobile page polled: web-online
    const cBefore = (await texts(C)).length;
    const aBefore = (await texts(A)).length;
    await sms(O, address, 'three paths');
    const m = await eventually(() => a.got.find((x) => x.body === 'three paths'), 5000, 'live message');
    const b = await inbox(B);
    assert.ok(
      b.groups[0].messages.some((x: { body: string }) => x.body === 'three paths'),
      'B pulls it from the inbox',
    );
    await s.settle();
    const c = await texts(C);
    assert.equal(c.length, cBefore + 1);
    assert.match(c.at(-1)!.text, /three paths/);
    // A acked; after the ack timeout nothing falls to SMS for A.
    await new Promise((r) => setTimeout(r, 700));
    await s.settle();
    assert.equal((await texts(A)).length, aBefore, 'an acked live delivery costs no SMS');
    const trail = await s.api.req('GET', `/v1/messages/${m.id}/trail`, undefined, tokens[O]);
    assert.equal(trail.status, 200);
    const steps = (phone: string) =>
      trail.json.members
        .find((x: { phone: string }) => x.phone === phone)
        .steps.map((st: { rung: string; outcome: string }) => `${st.rung}:${st.outcome}`);
    assert.ok(steps(A).includes('live:acked'), `A: ${steps(A)}`);
    assert.ok(
      steps(B).includes('inbox:waiting') &&
        steps(B).includes('inbox:shown') &&
        steps(B).includes('inbox:confirmed'),
      `B: ${steps(B)}`,
    );
    assert.ok(!steps(A).some((x: string) => x.startsWith('inbox:')), `A never used the inbox: ${steps(A)}`);
    assert.ok(steps(C).includes('sms:delivered'), `C: ${steps(C)}`);
    assert.deepEqual(steps(O), ['none:sender']);
    // Someone who is neither sender nor admin may not read the trail.
    const denied = await s.api.req('GET', `/v1/messages/${m.id}/trail`, undefined, tokens[B]);
    assert.equal(denied.status, 404);
    a.c.close();
  });

  test('half-open: a client that stops acking falls to SMS within the ack timeout, once', async () => {
    const frozen = await live(A, { autoAck: false });
    const before = (await texts(A)).length;
    await sms(O, address, 'are you there');
    await eventually(
      () => frozen.got.find((x) => x.body === 'are you there'),
      5000,
      'frame on the frozen socket',
    );
    const t = await eventually(
      async () => {
        await s.settle();
        const all = await texts(A);
        return all.length > before ? all : undefined;
      },
      5000,
      'fallback SMS',
    );
    assert.match(t.at(-1)!.text, /are you there/);
    await new Promise((r) => setTimeout(r, 900));
    await s.settle();
    assert.equal((await texts(A)).length, before + 1, 'exactly one fallback text');
    frozen.c.close();
  });

  test('reminder: an unfetched inbox item earns one Web Push that decrypts to the group and count', async () => {
    const sub = push.newSubscription();
    const r = await s.api.req('POST', '/v1/push/subscriptions', sub.target, tokens[B]);
    assert.equal(r.status, 201);
    await inbox(B);
    await sms(O, address, 'reminder one');
    await sms(O, address, 'reminder two');
    const before = push.received.length;
    await s.reminders.run();
    await s.reminders.run();
    assert.equal(push.received.length, before + 1, 'one coalesced push for the group, one per scan');
    const payload = JSON.parse(sub.decrypt(push.received.at(-1)!.body));
    assert.equal(payload.title, 'Ladder');
    assert.equal(payload.count, 2);
    assert.ok(push.received.at(-1)!.headers.topic);
  });

  test('escalation: unread after the reminder goes by SMS, unless a late fetch cancels it', async () => {
    const p = await s.api.req('PATCH', `/v1/groups/${groupId}`, { escalateToSms: true }, tokens[O]);
    assert.equal(p.status, 200);
    // Late fetch before the SMS leaves: no SMS.
    await inbox(B);
    const before = (await texts(B)).length;
    await sms(O, address, 'fetched in time');
    await s.reminders.run(); // the reminder; escalation falls due 300 ms later
    await inbox(B); // the late fetch
    await new Promise((r) => setTimeout(r, 400));
    await s.reminders.run();
    await s.settle();
    assert.equal((await texts(B)).length, before, 'no SMS after a fetch');
    // Without the fetch the same message escalates to one text.
    await inbox(B);
    await sms(O, address, 'never fetched');
    await s.reminders.run();
    await new Promise((r) => setTimeout(r, 400));
    await s.reminders.run();
    await s.settle();
    const after = await texts(B);
    assert.equal(after.length, before + 1);
    assert.match(after.at(-1)!.text, /never fetched/);
  });

  test('reconnect: a client that missed 50 messages resumes and gets each once, in order', async () => {
    const a = await live(A);
    await eventually(() => (a.c.connected ? true : undefined));
    const last = a.c.streams.lastContiguous(groupId);
    a.c.close();
    for (let i = 0; i < 50; i++)
      await s.api.req(
        'POST',
        `/v1/groups/${groupId}/messages`,
        { body: `missed ${i}`, clientMsgId: `m${i}` },
        tokens[O],
      );
    const again = await live(A, {});
    void again;
    const resumed = new QunClient({ baseUrl: s.url, token: tokens[A]! });
    const got: WireMessage[] = [];
    resumed.on('message', (m) => got.push(m));
    await resumed.connect({ resume: { [groupId]: last } });
    clients.push(resumed);
    await eventually(
      () => (got.filter((m) => m.body.startsWith('missed ')).length >= 50 ? true : undefined),
      10_000,
      '50 messages',
    );
    await new Promise((r) => setTimeout(r, 200));
    const missed = got.filter((m) => m.body.startsWith('missed '));
    assert.deepEqual(
      missed.map((m) => m.body),
      Array.from({ length: 50 }, (_, i) => `missed ${i}`),
    );
    const seqs = got.map((m) => m.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
      'in order',
    );
    assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
  });
});
