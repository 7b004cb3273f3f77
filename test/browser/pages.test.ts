// The three pages (/sim, /, /m) driven by a real chromium against a real server on loopback, phone-sized.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  browserSkip,
  launchBrowser,
  newContext,
  screenshot,
  type Watch,
  watchPage,
} from '../helpers/browser.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';

const skip = browserSkip ?? false;

const CREATOR = '+8613800138000'; // types CREATE on /sim
const OWNER = '+8613800138010'; // owns the garden club, texts only
const WEB = '+8613800138011'; // uses the live client /
const MOBILE = '+8613800138012'; // uses /m with JavaScript
const BASIC = '+8613800138013'; // uses /m without JavaScript
const SMS_ONLY = '+8613800138014'; // never opens a page

// Known bug, kept visible as TODO until fixed: every page sends `Referrer-Policy: no-referrer`

describe('pages in a real browser', () => {
  let s: TestServer;
  let browser: Browser;
  let address = '';

  const texts = (p: string) => s.api.texts(p);
  const sms = async (from: string, to: string, text: string) => {
    await s.api.sms(from, to, text);
    await s.settle();
  };
  /** Waits until Qun texted `phone` something matching `re`, flushing the outbound queue while it waits. */
  const textArrives = (phone: string, re: RegExp) =>
    eventually(
      async () => {
        await s.settle();
        return (await texts(phone)).find((t) => re.test(t.text));
      },
      5000,
      `a text to ${phone} matching ${re}`,
    );
  /**
   * The newest sign-in code texted to `phone`. Call it once the page shows the code was sent: the server
   * queued the text before answering, and settling sends it.
   */
  const codeFor = async (phone: string) => {
    await s.settle();
    const t = (await texts(phone)).findLast((x) => /\d{6}/.test(x.text));
    assert.ok(t, `no sign-in code texted to ${phone}`);
    return /(\d{6})/.exec(t.text)![1]!;
  };
  const clean = async (w: Watch, what: string) => assert.deepEqual(await w.problems(), [], what);

  before(async () => {
    if (browserSkip) return;
    // The browser first: when it cannot start (CI without chromium) there is no server left running.
    browser = await launchBrowser();
    s = await startTestServer();
    // The garden club is set up the way SMS users do it: CREATE, invite with G, everyone answers Y.
    await sms(OWNER, '10658', 'CREATE Garden club');
    address = /(1065801\d{4,})/.exec((await texts(OWNER)).at(-1)!.text)![1]!;
    await sms(OWNER, address, `G ${[WEB, MOBILE, BASIC, SMS_ONLY].map((p) => p.slice(3)).join(' ')}`);
    for (const p of [WEB, MOBILE, BASIC, SMS_ONLY]) await sms(p, address, 'Y');
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  test('/sim: a text typed as a phone gets Qun’s reply on that phone’s card', { skip }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const w = await watchPage(page);
    await page.goto(`${s.url}/sim`);
    // The service number is filled in once /v1/sim/info answered.
    await eventually(async () => ((await page.inputValue('#to')) === '10658' ? true : undefined));
    await page.fill('#from', CREATOR);
    await page.fill('#text', 'CREATE Browser club');
    await page.click('#send-form button[type=submit]');
    // The reply is texted asynchronously; the card shows it on a later poll (every 2 s).
    await s.settle();
    const card = page.locator('article.phone', { has: page.locator('strong', { hasText: CREATOR }) });
    const reply = card.locator('.text.in .body', { hasText: /1065801\d{4,}/ });
    await reply.waitFor({ timeout: 8000 });
    const shown = /(1065801\d{4,})/.exec((await reply.textContent()) ?? '')![1]!;
    const sent = (await texts(CREATOR)).at(-1)!;
    assert.ok(sent.text.includes(shown), `the card shows the address Qun texted: ${sent.text}`);
    assert.ok(sent.text.includes('Browser club'));
    await screenshot(page, 'sim');
    await clean(w, '/sim');
    // A refused text's error stays put: it used to vanish at the next poll, 2 s later.
    await page.fill('#from', 'not a phone');
    await page.fill('#text', 'hello');
    await page.click('#send-form button[type=submit]');
    await page.locator('#error:not([hidden])').waitFor();
    await page.waitForResponse((r) => r.url().includes('/v1/sim/phones'));
    await page.waitForResponse((r) => r.url().includes('/v1/sim/phones'));
    assert.equal(
      await page.locator('#error:not([hidden])').count(),
      1,
      'the error is still shown after two polls',
    );
    await ctx.close();
  });

  test('/: sign in with a texted code, open a group, receive live, send to SMS members', {
    skip,
  }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const w = await watchPage(page);
    await page.goto(`${s.url}/`);
    await page.fill('#phone', WEB);
    await page.click('#phone-form button[type=submit]');
    await page.locator('#code-form').waitFor();
    await page.fill('#code', await codeFor(WEB));
    await page.click('#code-form button[type=submit]');
    const group = page.locator('#groups button', { hasText: 'Garden club' });
    await group.waitFor();
    await page.locator('#status', { hasText: 'live' }).waitFor();
    await group.click();
    await page.locator('#chat-name', { hasText: 'Garden club' }).waitFor();
    assert.match((await page.textContent('#chat-address')) ?? '', new RegExp(address));

    // A marker on window survives only if the page is never reloaded.
    await page.evaluate(() => {
      (window as unknown as { stayed: boolean }).stayed = true;
    });
    await sms(OWNER, address, 'tomatoes are ripe');
    const live = page.locator('#messages .msg', { hasText: 'tomatoes are ripe' });
    await live.waitFor({ timeout: 5000 });
    assert.equal(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), true);
    assert.equal((await live.locator('.body').textContent()) ?? '', 'tomatoes are ripe');

    await page.fill('#send-body', 'I will bring a basket');
    await page.press('#send-body', 'Enter');
    await page
      .locator('#messages .msg.mine:not(.pending) .body', { hasText: 'I will bring a basket' })
      .waitFor();
    const got = await textArrives(SMS_ONLY, /I will bring a basket/);
    assert.equal(got.from, address, 'the SMS member gets it from the group address');
    await screenshot(page, 'app');
    await clean(w, '/');
    await ctx.close();
  });

  /** Signs in on /m through its two forms, as a person would; leaves the page on the inbox. */
  const signInOnM = async (page: Page, phone: string) => {
    await page.goto(`${s.url}/m`);
    await page.fill('form[action="/m/code"] input[name=phone]', phone);
    await page.click('form[action="/m/code"] button[type=submit]');
    await page.waitForURL(`${s.url}/m/code`);
    // After the code is sent the sign-in form comes first, with the number already filled in.
    const form = page.locator('form[action="/m/signin"]');
    assert.equal(await form.locator('input[name=phone]').inputValue(), phone);
    await form.locator('input[name=code]').fill(await codeFor(phone));
    await form.locator('button[type=submit]').click();
    await page.waitForURL(`${s.url}/m`);
    assert.match((await page.textContent('header')) ?? '', new RegExp(`Signed in as.*\\${phone}`));
  };
  const gardenOn = (page: Page) =>
    page.locator('section.group', { has: page.locator('h2', { hasText: 'Garden club' }) });

  /** A message sent after sign-in waits in the inbox (not texted) and shows on the next load. */
  const seesPending = async (page: Page, phone: string, incoming: string) => {
    await signInOnM(page, phone);
    // Loading /m made this member web-online, so the next message waits in the inbox instead of being texted.
    await sms(OWNER, address, incoming);
    await page.click('#refresh'); // the Refresh link carries the page's cursor (?seen=…)
    await gardenOn(page).locator('.msg .body', { hasText: incoming }).waitFor();
    assert.ok(
      !(await texts(phone)).some((t) => t.text.includes(incoming)),
      'waited in the inbox, not texted',
    );
  };

  /** Replies with the group's form (it must reach the SMS member), then signs out with the footer form. */
  const repliesAndSignsOut = async (page: Page, phone: string, reply: string) => {
    await signInOnM(page, phone);
    await gardenOn(page).locator('textarea[name=body]').fill(reply);
    await gardenOn(page).locator('button[type=submit]').click();
    await page.waitForLoadState();
    assert.equal(
      page.url(),
      `${s.url}/m`,
      `the reply posts and comes back to the inbox: ${(await page.textContent('body')) ?? ''}`,
    );
    const got = await textArrives(SMS_ONLY, new RegExp(reply));
    assert.equal(got.from, address);
    await page.click('form[action="/m/signout"] button[type=submit]');
    await page.waitForLoadState();
    assert.equal(
      page.url(),
      `${s.url}/m`,
      `sign-out comes back to /m: ${(await page.textContent('body')) ?? ''}`,
    );
    await page.locator('form[action="/m/code"]').waitFor();
  };

  test('/m with JavaScript: sign in with the forms, see a pending message', { skip }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const w = await watchPage(page);
    await seesPending(page, MOBILE, 'watering at six');
    // With scripting on, <noscript> is inert text: push.js refreshes instead and spares a half-typed reply.
    assert.equal(await page.locator('meta[http-equiv="refresh"]').count(), 0);
    await screenshot(page, 'm');
    await clean(w, '/m');
    await ctx.close();
  });

  test('/m with JavaScript: reply with the form, then sign out', { skip }, async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const w = await watchPage(page);
    await repliesAndSignsOut(page, MOBILE, 'count me in');
    await clean(w, '/m reply and sign-out');
    await ctx.close();
  });

  test('/m without JavaScript: sign in, see a pending message, meta refresh', { skip }, async () => {
    const ctx = await newContext(browser, { javaScriptEnabled: false });
    const page = await ctx.newPage();
    const w = await watchPage(page);
    await seesPending(page, BASIC, 'seedlings arrived');
    const refresh = page.locator('meta[http-equiv="refresh"]');
    assert.equal(await refresh.count(), 1);
    // The refresh reloads with the page's cursor, which confirms the shown messages arrived.
    assert.match((await refresh.getAttribute('content')) ?? '', /^\d+;url=\/m\?seen=\d+:\d+/);
    await screenshot(page, 'm-nojs');
    await clean(w, '/m without JavaScript');
    await ctx.close();
  });

  test('/m without JavaScript: reply with the form, then sign out', {
    skip,
  }, async () => {
    const ctx = await newContext(browser, { javaScriptEnabled: false });
    const page = await ctx.newPage();
    const w = await watchPage(page);
    await repliesAndSignsOut(page, BASIC, 'thanks for the seedlings');
    await clean(w, '/m reply and sign-out without JavaScript');
    await ctx.close();
  });
});
