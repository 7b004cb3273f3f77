// Web Push faults in the reminder path: 404/410 remove the subscription, 500 is retried, and the
// group's escalation to SMS goes on whatever the push service answered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type PushService, startPushService } from '../helpers/push-service.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const O = '+8613400134000';
const B = '+8613400134001';

describe('reminder push faults', () => {
  let s: TestServer;
  let push: PushService;
  let address = '';
  let groupId = 0;
  const tokens: Record<string, string> = {};
  const sms = async (from: string, to: string, text: string) => {
    await s.api.sms(from, to, text);
    await s.settle();
  };
  const subscribe = async () => {
    const sub = push.newSubscription();
    assert.equal((await s.api.req('POST', '/v1/push/subscriptions', sub.target, tokens[B])).status, 201);
    return sub;
  };
  /** One unread inbox item for B, then the reminder scan (the escalation falls due 200 ms later). */
  let seen = '';
  const unreadThenScan = async (text: string) => {
    // B's inbox page refreshes (confirming what it showed), then a new message arrives unread.
    seen = (await s.api.req('GET', `/v1/inbox?seen=${seen}`, undefined, tokens[B])).json.seen;
    await sms(O, address, text);
    await s.reminders.run();
  };

  before(async () => {
    push = await startPushService();
    s = await startTestServer(
      {
        QUN_REMINDER_SCAN_INTERVAL: '1h',
        QUN_REMINDER_DELAY: '0s',
        QUN_ESCALATE_DELAY: '200ms',
        QUN_WEB_ONLINE_TTL: '60s',
        // Counted texts here are escalations only: the SMS reminder after a failed push is off.
        QUN_REMINDER_SMS: 'false',
      },
      { pushAgent: push.agent },
    );
    await sms(O, '10658', 'CREATE Faults');
    address = /(1065801\d{4,})/.exec((await s.api.texts(O)).at(-1)!.text)![1]!;
    await sms(O, address, 'G 13400134001');
    await sms(B, address, 'Y');
    for (const p of [O, B]) tokens[p] = await s.api.signIn(p, () => s.settle());
    groupId = (await s.api.req('GET', '/v1/groups', undefined, tokens[O])).json.groups[0].id;
    assert.equal(
      (await s.api.req('PATCH', `/v1/groups/${groupId}`, { escalateToSms: true }, tokens[O])).status,
      200,
    );
  });
  after(async () => {
    await s.close();
    await push.close();
  });

  for (const status of [404, 410]) {
    test(`${status}: the subscription is removed and escalation still goes by SMS`, async () => {
      const sub = await subscribe();
      push.respondWith(sub.target.endpoint, status);
      const texts = (await s.api.texts(B)).length;
      await unreadThenScan(`gone ${status}`);
      const tries = push.received.filter((r) => r.endpoint === sub.target.endpoint).length;
      assert.equal(tries, 1, 'a gone subscription is not retried');
      // A second reminder finds no subscription to push to.
      await unreadThenScan(`gone again ${status}`);
      assert.equal(push.received.filter((r) => r.endpoint === sub.target.endpoint).length, 1, 'deleted');
      await new Promise((r) => setTimeout(r, 300));
      await s.reminders.run();
      await s.settle();
      const after = await s.api.texts(B);
      // The second pull showed the first message but nothing confirmed it (no later pull carried its
      // cursor back), so both escalate, in order.
      assert.equal(after.length, texts + 2, 'escalation went on');
      assert.match(after.at(-2)!.text, new RegExp(`gone ${status}`));
      assert.match(after.at(-1)!.text, new RegExp(`gone again ${status}`));
    });
  }

  test('500: retried, and escalation goes on', async () => {
    const sub = await subscribe();
    push.respondWith(sub.target.endpoint, 500);
    const texts = (await s.api.texts(B)).length;
    await unreadThenScan('server error');
    assert.equal(push.received.filter((r) => r.endpoint === sub.target.endpoint).length, 3, 'three attempts');
    await new Promise((r) => setTimeout(r, 300));
    await s.reminders.run();
    await s.settle();
    const after = await s.api.texts(B);
    assert.equal(after.length, texts + 1);
    assert.match(after.at(-1)!.text, /server error/);
    // The subscription is kept: a later reminder tries it again.
    push.respondWith(sub.target.endpoint, 201);
    await unreadThenScan('recovered');
    assert.equal(push.received.filter((r) => r.endpoint === sub.target.endpoint).length, 4);
  });
});
