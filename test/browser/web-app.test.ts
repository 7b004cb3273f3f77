// The / app in a real chromium against a real server: sign-in by code, live chat between two contexts,
// history scrolling back, a failed send retried once and stored once, unread counts from the read cursor.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, launchBrowser, newContext, screenshot, watchPage } from '../helpers/browser.ts';
import { eventually, SIGNIN_CODE, startTestServer, type TestServer } from '../helpers/server.ts';
import { openApp, openGroupIn, signedInContext, smsGroup, smsSettled } from '../helpers/web-app.ts';

const skip = browserSkip ?? false;
const OWNER = '+8613700137000';
const ANN = '+8613700137001'; // on / in a second context
const SMS_ONLY = '+8613700137002';

describe('the / app', () => {
  let s: TestServer;
  let browser: Browser;
  let group: { address: string; groupId: number; ownerToken: string };
  let other: { address: string; groupId: number; ownerToken: string };

  const history = async (groupId: number, token: string) => {
    const r = await s.api.req('GET', `/v1/groups/${groupId}/messages?after=0&limit=500`, undefined, token);
    return r.json.messages as { seq: number; body: string; cid?: string }[];
  };

  before(async () => {
    if (browserSkip) return;
    browser = await launchBrowser();
    s = await startTestServer();
    group = await smsGroup(s, OWNER, 'Choir', [ANN, SMS_ONLY]);
    other = await smsGroup(s, OWNER, 'Orchestra', [ANN]);
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  test('sign in with the texted code; two contexts chat live; the SMS member gets it', { skip }, async () => {
    const ctx = await newContext(browser, { viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const w = await watchPage(page);
    await page.goto(`${s.url}/`);
    await page.fill('#phone', OWNER);
    await page.click('#phone-form button[type=submit]');
    await page.locator('#code-form').waitFor();
    await s.settle();
    const code = SIGNIN_CODE.exec((await s.api.texts(OWNER)).at(-1)!.text)![1]!;
    await page.fill('#code', '000000' === code ? '111111' : '000000');
    await page.click('#code-form button[type=submit]');
    await page.locator('#error').waitFor();
    await page.fill('#code', code);
    await page.click('#code-form button[type=submit]');
    await page.locator('#status.live').waitFor();
    // The wrong-code banner does not outlive the successful sign-in.
    assert.equal(await page.locator('#error').count(), 0);

    const ann = await signedInContext(browser, s, ANN, { viewport: { width: 1280, height: 800 } });
    const annWatch = await watchPage(ann.page);
    await openApp(ann.page, s.url);
    await openGroupIn(page, 'Choir');
    await openGroupIn(ann.page, 'Choir');

    await page.fill('#send-body', 'Rehearsal moved to Thursday');
    await page.press('#send-body', 'Enter');
    await page.locator('#messages .msg.mine:not(.pending) .body', { hasText: 'Thursday' }).waitFor();
    await ann.page.locator('#messages .msg:not(.mine) .body', { hasText: 'Thursday' }).waitFor();
    await ann.page.fill('#send-body', 'I will be there');
    await ann.page.click('#send-form button[type=submit]');
    await page.locator('#messages .msg:not(.mine) .body', { hasText: 'I will be there' }).waitFor();
    await eventually(
      async () => {
        await s.settle();
        return (await s.api.texts(SMS_ONLY)).find((t) => t.text.includes('Thursday'));
      },
      5000,
      'the SMS member gets the text',
    );
    // The message is confirmed by its seq in the log.
    const stored = (await history(group.groupId, group.ownerToken)).find((m) => m.body.includes('Thursday'))!;
    assert.equal(
      await page.locator('#messages .msg.mine', { hasText: 'Thursday' }).getAttribute('data-seq'),
      String(stored.seq),
    );
    // The character counter says what the text costs SMS members.
    await page.fill('#send-body', 'x'.repeat(161));
    assert.match((await page.textContent('#counter')) ?? '', /161 characters · GSM-7 · 2 SMS/);
    await page.fill('#send-body', '你好');
    assert.match((await page.textContent('#counter')) ?? '', /UCS-2.*1 SMS/);
    await page.fill('#send-body', '');
    await screenshot(page, 'app-chat-desktop-en');
    // The one wrong code above is the only request that failed.
    assert.deepEqual(
      (await w.problems()).filter((p) => !/401 .*\/v1\/auth\/token/.test(p)),
      [],
    );
    assert.deepEqual(await annWatch.problems(), []);
    await ann.ctx.close();
    await ctx.close();
  });

  test('history scrolls back page by page to the first message', { skip }, async () => {
    for (let i = 1; i <= 130; i++)
      await s.api.req(
        'POST',
        `/v1/groups/${other.groupId}/messages`,
        { body: `note ${i}` },
        other.ownerToken,
      );
    await s.settle();
    const { ctx, page } = await signedInContext(browser, s, OWNER);
    // The live catch-up of the owner's own 130 messages is held back until the group is open: the
    // view must open at the end, one page, whichever comes first.
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    await page.routeWebSocket(/\/v1\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        if (String(m).includes('"t":"msg"')) void held.then(() => ws.send(m));
        else ws.send(m);
      });
    });
    await openApp(page, s.url);
    await openGroupIn(page, 'Orchestra');
    await page.locator('#messages .msg .body', { hasText: /^note 130$/ }).waitFor();
    assert.equal(await page.locator('#unread-line').count(), 0, 'own messages are not news');
    release();
    // A message after the catch-up arrives after it on the same socket: the catch-up has been handled.
    await s.api.req('POST', `/v1/groups/${other.groupId}/messages`, { body: 'note 131' }, other.ownerToken);
    await page.locator('#messages .msg .body', { hasText: /^note 131$/ }).waitFor();
    const before = await page.locator('#messages .msg').count();
    assert.ok(before < 131, `one page first (${before})`);
    // Scrolling to the top loads the page before, until the start of the conversation.
    for (let i = 0; i < 10 && (await page.locator('#history-start').count()) === 0; i++) {
      await page.locator('#messages').evaluate((el) => {
        el.scrollTop = 0;
      });
      await page.waitForTimeout(150);
    }
    await page.locator('#history-start').waitFor();
    const bodies = await page.locator('#messages .msg .body').allTextContents();
    const notes = bodies.filter((b) => /^note \d+$/.test(b));
    assert.deepEqual(
      notes,
      Array.from({ length: 131 }, (_, i) => `note ${i + 1}`),
      'every message once, in order',
    );
    await ctx.close();
  });

  test('a send whose answer is lost fails visibly; Retry stores it once', { skip }, async () => {
    const { ctx, page, token } = await signedInContext(browser, s, ANN);
    // The network drops the answer and the live echo of the first try alike (the live frame would confirm it).
    let dropEcho = true;
    await page.routeWebSocket(/\/v1\/ws$/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        if (dropEcho && String(m).includes('bring the sheet music')) return;
        ws.send(m);
      });
    });
    await openApp(page, s.url);
    await openGroupIn(page, 'Choir');
    let lost = 0;
    // The first POST reaches the server (and is stored) but its answer never comes back.
    await page.route('**/v1/groups/*/messages', async (route) => {
      if (route.request().method() !== 'POST' || lost > 0) return route.continue();
      lost++;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await page.fill('#send-body', 'bring the sheet music');
    await page.press('#send-body', 'Enter');
    const failed = page.locator('#messages .msg.failed', { hasText: 'bring the sheet music' });
    await failed.waitFor();
    await screenshot(page, 'app-failed-send-phone-en');
    dropEcho = false;
    await failed.locator('button.retry').click();
    await page.locator('#messages .msg.mine:not(.pending)', { hasText: 'bring the sheet music' }).waitFor();
    assert.equal(await page.locator('#messages .msg', { hasText: 'bring the sheet music' }).count(), 1);
    const stored = (await history(group.groupId, token)).filter((m) => m.body === 'bring the sheet music');
    assert.equal(stored.length, 1, 'stored once');
    assert.equal(lost, 1);

    // Discard drops a failed send that never reached the server.
    await page.route('**/v1/groups/*/messages', (route) =>
      route.request().method() === 'POST' ? route.abort('connectionreset') : route.continue(),
    );
    await page.fill('#send-body', 'never mind');
    await page.press('#send-body', 'Enter');
    await page.locator('#messages .msg.failed', { hasText: 'never mind' }).locator('button.discard').click();
    assert.equal(await page.locator('#messages .msg', { hasText: 'never mind' }).count(), 0);
    assert.equal((await history(group.groupId, token)).filter((m) => m.body === 'never mind').length, 0);
    await ctx.close();
  });

  test('unread counts come from the read cursor: they survive a reload and agree across devices', {
    skip,
  }, async () => {
    const a = await signedInContext(browser, s, ANN);
    await openApp(a.page, s.url);
    // Everything in the Orchestra read first, then Choir open while three new ones arrive there.
    await openGroupIn(a.page, 'Orchestra');
    await a.page.click('#back');
    await openGroupIn(a.page, 'Choir');
    for (const text of ['one', 'two', 'three']) await smsSettled(s, OWNER, other.address, `unread ${text}`);
    const badge = (p: typeof a.page) => p.locator('#groups li', { hasText: 'Orchestra' }).locator('.badge');
    // On a phone the list is hidden while a group is open: go back to it.
    await a.page.click('#back');
    await eventually(async () => ((await badge(a.page).textContent()) === '3' ? true : undefined));
    await a.page.reload();
    await a.page.locator('#status.live').waitFor();
    assert.equal(await badge(a.page).textContent(), '3', 'the count survives a reload');
    const b = await signedInContext(browser, s, ANN);
    await openApp(b.page, s.url);
    assert.equal(await badge(b.page).textContent(), '3', 'another device shows the same count');
    await openGroupIn(b.page, 'Orchestra');
    await b.page.locator('#unread-line').waitFor();
    await eventually(async () => {
      const g = (await s.api.req('GET', '/v1/groups', undefined, b.token)).json.groups.find(
        (x: { name: string }) => x.name === 'Orchestra',
      );
      return g.readSeq === g.lastSeq ? true : undefined;
    });
    await a.page.reload();
    await a.page.locator('#status.live').waitFor();
    assert.equal(await badge(a.page).count(), 0, 'read on one device is read on the other');
    await a.ctx.close();
    await b.ctx.close();
  });
});
