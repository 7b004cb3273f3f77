// /m in a real chromium with JavaScript off, as a feature phone uses it: the whole conversation with the
// member's own replies and the texted messages marked, "N new" equal to the messages marked new, earlier
// pages, times in the member's zone, and the language from Accept-Language with a switch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, launchBrowser, newContext, screenshot, watchPage } from '../helpers/browser.ts';
import { eventually, SIGNIN_CODE, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertAccessible, smsGroup, smsSettled } from '../helpers/web-app.ts';

const skip = browserSkip ?? false;
const OWNER = '+8613300133000';
const BASIC = '+8613300133001';
const OTHER = '+8613300133002';

describe('/m without JavaScript', () => {
  let s: TestServer;
  let browser: Browser;
  let g: { address: string; groupId: number; ownerToken: string };

  before(async () => {
    if (browserSkip) return;
    browser = await launchBrowser();
    s = await startTestServer({ QUN_WEB_ONLINE_TTL: '5m' });
    g = await smsGroup(s, OWNER, 'Hikers', [BASIC, OTHER]);
    for (let i = 1; i <= 25; i++)
      await s.api.req('POST', `/v1/groups/${g.groupId}/messages`, { body: `old ${i}` }, g.ownerToken);
    await s.settle();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const group = (page: Page) =>
    page.locator('section.group', { has: page.locator('h2', { hasText: 'Hikers' }) });
  /** The badge's number and the messages marked new agree. */
  const countsAgree = async (page: Page) => {
    const badge =
      (await group(page)
        .locator('h2 .badge')
        .textContent()
        .catch(() => null)) ?? '';
    const marked = await group(page).locator('.msg.new').count();
    assert.equal(Number(/\d+/.exec(badge)?.[0] ?? 0), marked, `badge "${badge}" vs ${marked} marked new`);
    if (marked === 0) assert.equal(await group(page).locator('h2 .badge').count(), 0);
    return marked;
  };

  test('whole conversation, own replies and texted messages marked, truthful counts, reply', {
    skip,
  }, async () => {
    // Before this member ever opens /m, a message reaches it by SMS.
    await smsSettled(s, OWNER, g.address, 'Texted before the inbox');
    await eventually(async () => {
      await s.settle();
      return (await s.api.texts(BASIC)).find((t) => t.text.includes('Texted before')) ? true : undefined;
    });
    const ctx = await newContext(browser, { javaScriptEnabled: false, locale: 'en-GB' });
    const page = await ctx.newPage();
    const w = await watchPage(page);
    await page.goto(`${s.url}/m`);
    await page.fill('form[action="/m/code"] input[name=phone]', BASIC);
    await page.click('form[action="/m/code"] button[type=submit]');
    await s.settle();
    const code = SIGNIN_CODE.exec((await s.api.texts(BASIC)).at(-1)!.text)![1]!;
    await page.fill('form[action="/m/signin"] input[name=code]', code);
    await page.click('form[action="/m/signin"] button[type=submit]');
    await page.waitForURL(`${s.url}/m`);
    const texted = group(page).locator('.msg', { hasText: 'Texted before the inbox' });
    assert.match((await texted.textContent()) ?? '', /sent to you by SMS/);
    assert.equal(await texted.locator('.mark.new').count(), 0, 'already delivered by SMS: not new');
    // Times in the member's zone (+86: China).
    assert.match((await texted.locator('time').textContent()) ?? '', /GMT\+8/);
    await countsAgree(page);

    // Web-online now: the next message waits in the inbox, and shows as new on refresh.
    await smsSettled(s, OWNER, g.address, 'Meet at the bridge');
    await page.click('#refresh');
    await group(page).locator('.msg.new', { hasText: 'Meet at the bridge' }).waitFor();
    assert.equal(await countsAgree(page), 1);
    await screenshot(page, 'm-conversation-phone-en');

    await group(page).locator('textarea[name=body]').fill('On my way');
    await group(page).locator('button[type=submit]').click();
    await page.waitForURL(`${s.url}/m`);
    const mine = group(page).locator('.msg.mine', { hasText: 'On my way' });
    await mine.waitFor();
    assert.match((await mine.textContent()) ?? '', /you/);
    // The reply confirmed what the page showed: nothing is new now, and the page says so once.
    assert.equal(await countsAgree(page), 0);
    assert.match((await group(page).locator('h2').textContent()) ?? '', /No new messages/);
    // The whole conversation: earlier pages reach back to the first message.
    const seen = new Set(await group(page).locator('.msg .body').allTextContents());
    for (
      let i = 0;
      i < 5 && (await group(page).locator('a', { hasText: 'Earlier messages' }).count()) > 0;
      i++
    ) {
      await group(page).locator('a', { hasText: 'Earlier messages' }).click();
      for (const b of await group(page).locator('.msg .body').allTextContents()) seen.add(b);
    }
    for (let i = 1; i <= 25; i++) assert.ok(seen.has(`old ${i}`), `old ${i} reachable`);
    assert.deepEqual(await w.problems(), []);
    await ctx.close();
  });

  test('Chinese from Accept-Language, and a switch to English that needs no script', { skip }, async () => {
    const token = await s.api.signIn(OTHER, () => s.settle());
    const ctx = await newContext(browser, { javaScriptEnabled: false, locale: 'zh-CN' });
    await ctx.addCookies([{ name: 'qun_session', value: token, url: s.url }]);
    const page = await ctx.newPage();
    await page.goto(`${s.url}/m`);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.match((await page.textContent('header')) ?? '', /当前登录/);
    assert.match((await page.textContent('footer')) ?? '', /退出登录/);
    await screenshot(page, 'm-conversation-phone-zh-CN');
    await page.click('footer a[hreflang=en]');
    await page.waitForURL(`${s.url}/m`);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match((await page.textContent('header')) ?? '', /Signed in as/);
    // The zone switch is a plain form too.
    await page.selectOption('select[name=tz]', 'Europe/London');
    await page.click('form[action="/m/zone"] button[type=submit]');
    await page.waitForURL(`${s.url}/m`);
    assert.match((await group(page).locator('time').first().textContent()) ?? '', /GMT|BST|UTC/);
    await ctx.close();
  });

  test('axe finds no serious problem on /m and its sign-in page, in both languages', { skip }, async () => {
    const token = await s.api.signIn(OTHER, () => s.settle());
    for (const locale of ['en-GB', 'zh-CN']) {
      // axe runs as a script in the page, so this context has JavaScript (the markup is the same).
      const ctx = await newContext(browser, { locale });
      const page = await ctx.newPage();
      await page.goto(`${s.url}/m`);
      await assertAccessible(page, `/m sign-in (${locale})`);
      await ctx.addCookies([{ name: 'qun_session', value: token, url: s.url }]);
      await page.goto(`${s.url}/m`);
      await group(page).waitFor();
      await assertAccessible(page, `/m inbox (${locale})`);
      await ctx.close();
    }
  });
});
