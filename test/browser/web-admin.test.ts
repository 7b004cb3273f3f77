// Running a group from the / app: invitations arrive live and are accepted; the owner renames, promotes
// and removes, and the other members' pages follow live; the delivery view of a message agrees with
// the trail API for a member on each rung (live, inbox, SMS), and does not poll from a hidden tab.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, launchBrowser, screenshot, watchPage } from '../helpers/browser.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import { openApp, openGroupIn, signedInContext, smsGroup } from '../helpers/web-app.ts';

const skip = browserSkip ?? false;
const OWNER = '+8613600136000';
const LIVE = '+8613600136001'; // keeps / open
const INBOX = '+8613600136002'; // reads /v1/inbox only
const SMS_ONLY = '+8613600136003';
const NEWCOMER = '+8613600136004'; // invited from the page while their / is open

type TrailJson = { members: { userId: number; steps: { rung: string; outcome: string }[] }[] };

describe('running a group from the / app', () => {
  let s: TestServer;
  let browser: Browser;
  let group: { address: string; groupId: number; ownerToken: string };

  before(async () => {
    if (browserSkip) return;
    browser = await launchBrowser();
    s = await startTestServer({ QUN_WEB_ONLINE_TTL: '5m' });
    group = await smsGroup(s, OWNER, 'Allotment', [LIVE, INBOX, SMS_ONLY]);
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const desktop = { viewport: { width: 1280, height: 800 } };
  const memberRow = (page: Page, phone: string) => page.locator('#members li', { hasText: phone });

  test('an invitation arrives live; the owner renames, promotes and removes; others see it live', {
    skip,
  }, async () => {
    const owner = await signedInContext(browser, s, OWNER, desktop);
    const live = await signedInContext(browser, s, LIVE, desktop);
    const newcomer = await signedInContext(browser, s, NEWCOMER, desktop);
    const watches = [await watchPage(owner.page), await watchPage(live.page)];
    for (const p of [owner.page, live.page, newcomer.page]) await openApp(p, s.url);
    await openGroupIn(owner.page, 'Allotment');
    await openGroupIn(live.page, 'Allotment');
    await owner.page.click('#people-open');
    await live.page.click('#people-open');
    await memberRow(live.page, SMS_ONLY).waitFor();

    // Invited from the page: the invitee's open page shows it without a reload, and accepting opens it.
    await owner.page.fill('#invite-phones', NEWCOMER);
    await owner.page.click('#invite-form button[type=submit]');
    await owner.page.locator('#invite-result', { hasText: 'invited' }).waitFor();
    const invite = newcomer.page.locator('#invitations li', { hasText: 'Allotment' });
    await invite.waitFor();
    await screenshot(newcomer.page, 'app-invitation-desktop-en');
    await invite.locator('button.accept').click();
    await newcomer.page.locator('#chat-name', { hasText: 'Allotment' }).waitFor();
    await memberRow(live.page, NEWCOMER).waitFor(); // a join updates the others' member lists

    // Rename: every open page shows the new name.
    await owner.page.fill('#rename-name', 'Allotment society');
    await owner.page.click('#rename-form button[type=submit]');
    for (const p of [owner.page, live.page, newcomer.page])
      await p.locator('#groups button', { hasText: 'Allotment society' }).waitFor();
    await live.page.locator('#chat-name', { hasText: 'Allotment society' }).waitFor();

    // Promote: the role shows on the other pages.
    await memberRow(owner.page, LIVE).locator('button.promote').click();
    await memberRow(live.page, LIVE).locator('.role.admin').waitFor();
    await newcomer.page.click('#people-open');
    await memberRow(newcomer.page, LIVE).locator('.role.admin').waitFor();

    // Remove: the removed member's page drops the group; the others' lists drop the member.
    await memberRow(owner.page, NEWCOMER).locator('button.remove').click();
    await memberRow(owner.page, NEWCOMER).locator('button.remove-yes').click();
    await eventually(
      async () => ((await memberRow(live.page, NEWCOMER).count()) === 0 ? true : undefined),
      10_000,
      'the removed member leaves the others’ lists',
    );
    await eventually(
      async () =>
        (await newcomer.page.locator('#groups button', { hasText: 'Allotment society' }).count()) === 0
          ? true
          : undefined,
      10_000,
      'the removed member’s page drops the group',
    );
    const members = (
      await s.api.req('GET', `/v1/groups/${group.groupId}/members`, undefined, group.ownerToken)
    ).json.members as { phone: string; role: string }[];
    assert.equal(members.find((m) => m.phone === LIVE)?.role, 'admin');
    assert.equal(
      members.find((m) => m.phone === NEWCOMER),
      undefined,
    );
    await screenshot(owner.page, 'app-members-desktop-en');
    // Group settings (owner): saved through PATCH /v1/groups/{id}.
    await owner.page.selectOption('#invite-policy', 'direct');
    await owner.page.check('#escalate');
    await owner.page.fill('#member-cap', '40');
    await owner.page.click('#group-settings button[type=submit]');
    await eventually(
      async () => {
        const g = (await s.api.req('GET', `/v1/groups/${group.groupId}`, undefined, group.ownerToken)).json;
        return g.invitePolicy === 'direct' && g.escalateToSms === true && g.memberCap === 40
          ? true
          : undefined;
      },
      10_000,
      'settings saved',
    );
    for (const w of watches) assert.deepEqual(await w.problems(), []);
    for (const c of [owner, live, newcomer]) await c.ctx.close();
  });

  test('the delivery view agrees with the trail API for members on each rung', { skip }, async () => {
    const owner = await signedInContext(browser, s, OWNER, desktop);
    const live = await signedInContext(browser, s, LIVE, desktop);
    const inboxToken = await s.api.signIn(INBOX, () => s.settle());
    await s.api.req('GET', '/v1/inbox', undefined, inboxToken); // web-online: the next message waits there
    for (const p of [owner.page, live.page]) await openApp(p, s.url);
    await openGroupIn(owner.page, 'Allotment society');
    await openGroupIn(live.page, 'Allotment society');
    await owner.page.fill('#send-body', 'Compost delivery on Saturday');
    await owner.page.press('#send-body', 'Enter');
    const mine = owner.page.locator('#messages .msg.mine:not(.pending)', { hasText: 'Compost delivery' });
    await mine.waitFor();
    await live.page.locator('#messages .msg', { hasText: 'Compost delivery' }).waitFor();
    // Each member's rung has happened: acked live, waiting in the inbox (then fetched), texted.
    const seen = (await s.api.req('GET', '/v1/inbox', undefined, inboxToken)).json.seen;
    await s.api.req('GET', `/v1/inbox?seen=${seen}`, undefined, inboxToken);
    await eventually(async () => {
      await s.settle();
      return (await s.api.texts(SMS_ONLY)).find((t) => t.text.includes('Compost')) ? true : undefined;
    });
    const seq = Number(await mine.getAttribute('data-seq'));
    const hist = (
      await s.api.req(
        'GET',
        `/v1/groups/${group.groupId}/messages?after=${seq - 1}&limit=1`,
        undefined,
        group.ownerToken,
      )
    ).json.messages[0];
    const api = async () =>
      (await s.api.req('GET', `/v1/messages/${hist.id}/trail`, undefined, group.ownerToken))
        .json as TrailJson;
    // The answer to compare with is the settled one: the SMS receipt is in and two reads agree.
    const want = await eventually(
      async () => {
        await s.settle();
        const a = await api();
        const b = await api();
        const receipted = b.members.some((m) =>
          m.steps.some((st) => st.rung === 'sms' && st.outcome === 'delivered'),
        );
        return receipted && JSON.stringify(a) === JSON.stringify(b) ? b : undefined;
      },
      20_000,
      'the trail to settle',
    );
    await mine.locator('button.ticks').click();
    // The view first shows what the ticks last fetched, which may be older than `want`; it is read
    // once its own fetch, made after `want` settled, is in (aria-busy false).
    await owner.page.locator('#trail[aria-busy=false] .trail-member').first().waitFor();
    const shown = await owner.page.locator('#trail .trail-member').evaluateAll((els) =>
      els.map((el) => ({
        userId: Number((el as HTMLElement).dataset['user']),
        steps: [...el.querySelectorAll('.step')].map((st) => ({
          rung: (st as HTMLElement).dataset['rung']!,
          outcome: (st as HTMLElement).dataset['outcome']!,
        })),
      })),
    );
    assert.deepEqual(
      shown,
      want.members.map((m) => ({
        userId: m.userId,
        steps: m.steps.map(({ rung, outcome }) => ({ rung, outcome })),
      })),
    );
    const rungs = new Set(want.members.flatMap((m) => m.steps.map((st) => st.rung)));
    for (const r of ['live', 'inbox', 'sms'])
      assert.ok(rungs.has(r), `a member on the ${r} rung: ${[...rungs]}`);
    // The ticks say everyone got it once live, inbox and SMS receipt are in.
    await screenshot(owner.page, 'app-delivery-desktop-en');
    for (const c of [owner, live]) await c.ctx.close();
  });

  test('the open delivery view does not poll while the tab is hidden, and fetches on coming back', {
    skip,
  }, async () => {
    const owner = await signedInContext(browser, s, OWNER, desktop);
    const page = owner.page;
    // Fake timers from the first script on: the view's refresh runs only when the test moves time on.
    await page.clock.install();
    await openApp(page, s.url);
    await openGroupIn(page, 'Allotment society');
    const mine = page.locator('#messages .msg.mine:not(.pending)', { hasText: 'Compost delivery' });
    await mine.waitFor();
    // The ticks' own timed reloads (at most 30 s after a message shows) are over before the view opens.
    await page.clock.runFor(31_000);
    await mine.locator('button.ticks').click();
    await page.locator('#trail[aria-busy=false] .trail-member').first().waitFor();
    let fetches = 0;
    page.on('request', (r) => {
      if (/\/v1\/messages\/[^/]+\/trail$/.test(r.url())) fetches++;
    });
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((st) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => st });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    await page.clock.runFor(20_000);
    // A request the page started would be seen by now: one round trip to the server settles it.
    await page.evaluate(() => fetch('/healthz').then((r) => r.text()));
    assert.equal(fetches, 0, 'no trail fetch in 20 s hidden');
    const back = page.waitForRequest(/\/trail$/);
    await setVisibility('visible');
    await back;
    await page.locator('#trail[aria-busy=false]').waitFor();
    const next = page.waitForRequest(/\/trail$/);
    await page.clock.runFor(5_000);
    await next;
    assert.equal(fetches, 2, 'one on coming back, one 5 s later');
    await owner.ctx.close();
  });
});
