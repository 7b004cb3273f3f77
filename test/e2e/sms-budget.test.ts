// A group's SMS budget end to end: a burst that runs out mid-way texts nobody past it, the owner is told
// once, the rest wait in the inbox with their reminder, and spend and what is left show in the API.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../helpers/manual-clock.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import { type SmsGroup, smsGroup, stepsOf } from '../helpers/sms-group.ts';

const OWNER = '+8613800138000';
const MEMBERS = [1, 2, 3, 4, 5].map((i) => `+861380013810${i}`);

describe('a per-group SMS budget', () => {
  const clock = new ManualClock('2026-12-01T04:00:00Z');
  let s: TestServer;
  let g: SmsGroup;
  const budgetUrl = () => `/v1/groups/${g.groupId}/sms-budget`;
  const textsTo = async (p: string) => (await s.api.texts(p)).map((t) => t.text);

  before(async () => {
    s = await startTestServer(
      {
        QUN_SMS_BUDGET_DAY_CEILING: '1000',
        QUN_REMINDER_SCAN_INTERVAL: '1s',
        QUN_ADMIN_KEY: 'operator-key-0123456789',
      },
      { clock },
    );
    g = await smsGroup(
      s,
      OWNER,
      MEMBERS.map((p) => p.replace('+86', '')),
    );
  });
  after(async () => {
    await s.close();
  });

  test('the owner sets it within the ceiling; members may not', async () => {
    const over = await s.api.req('PATCH', budgetUrl(), { day: 5000 }, g.ownerToken);
    assert.equal(over.status, 400);
    assert.equal(over.json.error.code, 'budget_above_ceiling');
    const memberToken = await s.api.signIn(MEMBERS[0]!, () => s.settle());
    assert.equal((await s.api.req('PATCH', budgetUrl(), { day: 1 }, memberToken)).status, 403);
    assert.equal((await s.api.req('GET', budgetUrl(), undefined, memberToken)).status, 403);
    const set = await s.api.req('PATCH', budgetUrl(), { day: 3 }, g.ownerToken);
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.equal(set.json.day.limit, 3);
    assert.equal(set.json.day.spent, 0);
    // Signed in: MEMBERS[0] was web-online for a moment; let that pass so all five are SMS-only.
    clock.advance(10 * 60_000);
  });

  test('a burst that runs out mid-way: three texted, two on inbox + reminder, owner told once', async () => {
    const post = async (body: string) => {
      const r = await s.api.req('POST', `/v1/groups/${g.groupId}/messages`, { body }, g.ownerToken);
      assert.equal(r.status, 201);
      await s.settle();
      return r.json.id as string;
    };
    const ownerBefore = (await textsTo(OWNER)).length;
    // The send box's preview: one segment, three members texted now (the budget covers three), nothing spent.
    const cost = await s.api.req(
      'GET',
      `/v1/groups/${g.groupId}/sms-cost?body=${encodeURIComponent('Bus at 8')}`,
      undefined,
      g.ownerToken,
    );
    assert.deepEqual(cost.json, { segments: 1, textedNow: 3, heldForLater: 0, segmentsNow: 3 });
    assert.equal((await s.api.req('GET', budgetUrl(), undefined, g.ownerToken)).json.day.spent, 0);
    const id = await post('Bus at 8');
    const texted: string[] = [];
    for (const p of MEMBERS) if ((await textsTo(p)).some((t) => t.includes('Bus at 8'))) texted.push(p);
    assert.equal(texted.length, 3, 'three segments: three members texted');
    for (const p of MEMBERS.filter((x) => !texted.includes(x))) {
      const steps = await stepsOf(s, g, id, p);
      assert.deepEqual(
        steps.map((x) => `${x.rung}/${x.outcome}/${x.reason}`),
        ['inbox/waiting/budget'],
      );
    }
    await post('Bus at 9');
    for (const p of MEMBERS) assert.ok(!(await textsTo(p)).some((t) => t.includes('Bus at 9')), p);
    await new Promise((r) => setTimeout(r, 100));
    await s.settle();
    const notices = (await textsTo(OWNER)).slice(ownerBefore).filter((t) => /SMS budget|短信额度/.test(t));
    assert.equal(notices.length, 1, 'the owner is told once');
    const b = await s.api.req('GET', budgetUrl(), undefined, g.ownerToken);
    assert.equal(b.json.day.spent, 3);
    assert.equal(b.json.day.remaining, 0);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`qun_sms_budget_remaining\\{group_id="${g.groupId}",period="day"\\} 0`));
    assert.match(metrics, /qun_policy_decisions_total\{reason="budget"\} 7/);
    // The operator's dashboard shows the same: spent segments and nothing left today.
    const dash = await fetch(`${s.url}/v1/admin/dashboard`, {
      headers: { 'x-qun-admin-key': 'operator-key-0123456789' },
    });
    const row = (
      (await dash.json()) as {
        spend: { groupId: number | null; budgetLeft: { day: number | null } | null }[];
      }
    ).spend.find((x) => x.groupId === g.groupId);
    assert.equal(row?.budgetLeft?.day, 0);
    // The members the budget kept off SMS get their reminder like any inbox member.
    clock.advance(11 * 60_000);
    const untexted = MEMBERS.find((x) => !texted.includes(x))!;
    await eventually(
      async () => ((await stepsOf(s, g, id, untexted)).some((x) => x.rung === 'reminder') ? true : undefined),
      10_000,
      'a reminder step',
    );
  });

  test('the next UTC day has a fresh budget', async () => {
    clock.set('2026-12-02T04:00:00Z');
    const r = await s.api.req('POST', `/v1/groups/${g.groupId}/messages`, { body: 'New day' }, g.ownerToken);
    assert.equal(r.status, 201);
    await s.settle();
    let n = 0;
    for (const p of MEMBERS) if ((await textsTo(p)).some((t) => t.includes('New day'))) n++;
    assert.equal(n, 3);
  });
});
