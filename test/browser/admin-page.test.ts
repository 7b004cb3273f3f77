// The dashboard: its figures over HTTP agree with what happened (texts, segments, spend, funnel), access is
// checked (admin key; owners see their own group only), and /admin draws them (uPlot chart, tables,
// members), accessible, in both languages and at both sizes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, launchBrowser, newContext, PHONE, screenshot, watchPage } from '../helpers/browser.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertAccessible, signedInContext, smsGroup } from '../helpers/web-app.ts';

const skip = browserSkip ?? false;
const KEY = 'k'.repeat(32);
const OWNER = '+8613200132000';
const SMS_ONLY = '+8613200132001';
const MEMBER = '+8613200132002';

describe('the dashboard', () => {
  let s: TestServer;
  let browser: Browser;
  let g: { address: string; groupId: number; ownerToken: string };
  /** The group's row of the spend table as the API gave it (the page must show the same). */
  let spendText = '';
  const admin = (p: string, key = KEY) =>
    fetch(s.url + p, { headers: { 'x-qun-admin-key': key } }).then(async (r) => ({
      status: r.status,
      json: await r.json(),
    }));

  before(async () => {
    s = await startTestServer({ QUN_ADMIN_KEY: KEY, QUN_SMS_SEGMENT_PRICE: '0.1' });
    g = await smsGroup(s, OWNER, 'Parents', [SMS_ONLY, MEMBER]);
    if (!browserSkip) browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  test('figures agree with the texts sent; access is checked', async () => {
    assert.equal((await admin('/v1/admin/dashboard')).status, 200);
    assert.equal((await admin('/v1/admin/dashboard', 'wrong'.repeat(7))).status, 403);
    const rowOf = (d: { spend: { groupId: number; texts: number; segments: number; estimate: number }[] }) =>
      d.spend.find((x) => x.groupId === g.groupId) ?? { texts: 0, segments: 0, estimate: 0 };
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    const d0 = (await admin('/v1/admin/dashboard?hours=24')).json;
    for (const body of ['Trip on Friday', 'x'.repeat(200)])
      await s.api.req('POST', `/v1/groups/${g.groupId}/messages`, { body }, g.ownerToken);
    await eventually(async () => {
      await s.settle();
      const n = (await s.api.texts(SMS_ONLY)).filter(
        (t) => t.text.includes('Trip') || t.text.includes('xxx'),
      ).length;
      return n >= 2 ? true : undefined;
    });
    const d = (await admin('/v1/admin/dashboard?hours=24')).json;
    // Two messages to two SMS-reachable members (nobody is online): 1 + 2 segments each.
    const before = rowOf(d0);
    const row = rowOf(d);
    assert.deepEqual(
      { texts: row.texts - before.texts, segments: row.segments - before.segments },
      { texts: 4, segments: 6 },
    );
    assert.equal(Math.round((row.estimate - before.estimate) * 100) / 100, 0.6);
    assert.equal(sum(d.funnel.series.sms) - sum(d0.funnel.series.sms), 4, 'the funnel counts the same texts');
    spendText = `${row.texts}s*${row.segments}s*${row.estimate.toFixed(2)}`;
    assert.equal(d.funnel.buckets.length, d.funnel.series.live.length);
    assert.equal(d.groups.find((x: { id: number }) => x.id === g.groupId).members, 3);
    assert.equal(typeof d.gateway.inDoubt, 'number');
    const members = (await admin(`/v1/admin/groups/${g.groupId}/members`)).json.members;
    assert.equal(members.length, 3);
    // An owner sees the group's own figures; another member does not.
    const own = await s.api.req('GET', `/v1/groups/${g.groupId}/stats`, undefined, g.ownerToken);
    assert.equal(own.status, 200);
    assert.equal(own.json.spend[0].segments, rowOf(d).segments);
    const memberToken = await s.api.signIn(MEMBER, () => s.settle());
    assert.equal(
      (await s.api.req('GET', `/v1/groups/${g.groupId}/stats`, undefined, memberToken)).status,
      403,
    );
  });

  for (const [lang, locale] of [
    ['en', 'en-GB'],
    ['zh-CN', 'zh-CN'],
  ] as const) {
    for (const [size, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', PHONE],
    ] as const) {
      test(`/admin draws the figures (${lang}, ${size})`, { skip }, async () => {
        const ctx = await newContext(browser, { viewport, locale });
        const page = await ctx.newPage();
        const w = await watchPage(page);
        await page.goto(`${s.url}/admin`);
        await page.fill('#admin-key', KEY);
        await page.click('#key-form button[type=submit]');
        await page.locator('#figures').waitFor();
        await page.locator('.chart canvas').first().waitFor();
        await page.locator('#admin-groups tr[data-group] button').first().click();
        await page.locator('#admin-groups .list li', { hasText: SMS_ONLY }).waitFor();
        assert.match((await page.textContent('#spend')) ?? '', new RegExp(`Parents\\s*${spendText}`));
        await assertAccessible(page, `/admin (${lang}, ${size})`);
        await screenshot(page, `admin-${size}-${lang}`);
        assert.deepEqual(await w.problems(), []);
        await ctx.close();
      });
    }
  }

  test('a group owner signed in on / sees the group’s own funnel and spend on /admin', { skip }, async () => {
    const { ctx, page } = await signedInContext(browser, s, OWNER, {
      viewport: { width: 1280, height: 800 },
    });
    await page.goto(`${s.url}/admin`);
    const own = page.locator('.owner-group', { hasText: 'Parents' });
    await own.locator('canvas').first().waitFor();
    assert.match((await own.locator('#spend').textContent()) ?? '', new RegExp(spendText));
    await ctx.close();
  });
});
