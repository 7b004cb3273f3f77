// Digests end to end: five messages that fall to SMS within the window go to a digest member as one
// text, the trail names that text for each message, and a late inbox pull cancels a digest not yet sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../helpers/manual-clock.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import { type SmsGroup, smsGroup, stepsOf } from '../helpers/sms-group.ts';

const OWNER = '+8613800138000';
const DIG = '+8613800138011';
const PLAIN = '+8613800138012';
const WINDOW_MS = 15 * 60_000;

describe('digests for SMS members', () => {
  const clock = new ManualClock('2026-12-01T04:00:00Z');
  let s: TestServer;
  let g: SmsGroup;
  const textsTo = async (p: string) => (await s.api.texts(p)).map((t) => t.text);
  const post = async (body: string) => {
    const r = await s.api.req('POST', `/v1/groups/${g.groupId}/messages`, { body }, g.ownerToken);
    assert.equal(r.status, 201);
    await s.settle();
    return r.json.id as string;
  };

  before(async () => {
    s = await startTestServer({}, { clock });
    g = await smsGroup(
      s,
      OWNER,
      [DIG, PLAIN].map((p) => p.replace('+86', '')),
    );
  });
  after(async () => {
    await s.close();
  });

  test('five messages within the window reach a digest member as one text', async () => {
    assert.notEqual(await s.api.sms(DIG, g.address, '摘要开'), 'message');
    await s.settle();
    assert.match((await textsTo(DIG)).at(-1)!, /已开启摘要/);
    const before = (await textsTo(DIG)).length;
    const ids = [];
    for (let i = 1; i <= 5; i++) {
      ids.push(await post(`Update ${i}`));
      clock.advance(60_000);
    }
    assert.equal((await textsTo(DIG)).length, before, 'nothing texted inside the window');
    assert.equal((await textsTo(PLAIN)).filter((t) => /Update \d/.test(t)).length, 5, 'others get each text');
    assert.ok((await stepsOf(s, g, ids[0]!, DIG)).some((x) => x.rung === 'sms' && x.reason === 'digest'));
    clock.advance(WINDOW_MS);
    const digest = await eventually(
      async () => ((await textsTo(DIG)).length > before ? (await textsTo(DIG)).slice(before) : undefined),
      10_000,
      'the digest',
    );
    await s.settle();
    assert.equal((await textsTo(DIG)).length, before + 1, 'one text');
    assert.match(digest[0]!, /^5 new in Hiking club - /, 'GSM-7 framing for Latin messages');
    for (let i = 1; i <= 5; i++) assert.ok(digest[0]!.includes(`Update ${i}`), `carries Update ${i}`);
    // The trail: the first message's text is the digest, each other names it.
    const first = await stepsOf(s, g, ids[0]!, DIG);
    const carrier = first.find((x) => x.rung === 'sms' && /submitted|delivered/.test(x.outcome));
    assert.ok(carrier, JSON.stringify(first));
    for (const id of ids.slice(1)) {
      const steps = await stepsOf(s, g, id, DIG);
      assert.ok(
        steps.some(
          (x) => x.rung === 'sms' && x.outcome === 'digested' && /^in digest text #\d+$/.test(x.reason),
        ),
        JSON.stringify(steps),
      );
    }
  });

  test('a late inbox pull cancels a digest not yet sent', async () => {
    const token = await s.api.signIn(DIG, () => s.settle());
    clock.advance(10 * 60_000); // no longer web-online
    const before = (await textsTo(DIG)).length;
    const id = await post('Later 1');
    await post('Later 2');
    assert.ok((await stepsOf(s, g, id, DIG)).some((x) => x.reason === 'digest'));
    const pull = await s.api.req('GET', '/v1/inbox', undefined, token);
    assert.equal(pull.status, 200);
    await s.api.req('GET', `/v1/inbox?seen=${encodeURIComponent(pull.json.seen)}`, undefined, token);
    await s.settle();
    clock.advance(WINDOW_MS + 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    await s.settle();
    assert.equal((await textsTo(DIG)).length, before, 'no digest after the inbox showed them');
    assert.ok((await stepsOf(s, g, id, DIG)).some((x) => x.rung === 'sms' && x.outcome === 'cancelled'));
  });
});
