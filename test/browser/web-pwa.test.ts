// The / app on a phone and in two languages: install criteria (manifest + service worker), first-load
// size, a reminder pushed through the service worker from a local push service and tapped open at the
// first unread message, the Web Push offer's end states, zh-CN with no English left, axe on every view,
// and screenshots of every main view at 1280×800 and 390×844 in en and zh-CN under test-results/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { en, zh } from '../../web/app/i18n.ts';
import { browserSkip, launchBrowser, PHONE, screenshot } from '../helpers/browser.ts';
import { type PushService, startPushService } from '../helpers/push-service.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import {
  assertAccessible,
  openApp,
  openGroupIn,
  readableText,
  signedInContext,
  smsGroup,
} from '../helpers/web-app.ts';

const skip = browserSkip ?? false;
const OWNER = '+8613400134000';
const MEMBER = '+8613400134001';
const SMS_ONLY = '+8613400134002';
const REMINDED = '+8613400134003'; // never live anywhere: its messages wait in the inbox
const DESKTOP = { width: 1280, height: 800 };

/** The fixed parts of every English catalogue entry that differs from its Chinese one (4+ letters). */
const ENGLISH = [
  ...new Set(
    (Object.keys(en) as (keyof typeof en)[])
      .filter((k) => en[k] !== zh[k])
      .flatMap((k) => en[k].split(/\{\w+\}/))
      .map((p) => p.trim())
      .filter((p) => /[A-Za-z]{4,}/.test(p)),
  ),
];

describe('the / app as an installable phone app, in English and Chinese', () => {
  let s: TestServer;
  let push: PushService;
  let browser: Browser;
  let g: { address: string; groupId: number; ownerToken: string };

  before(async () => {
    if (browserSkip) return;
    browser = await launchBrowser();
    push = await startPushService();
    s = await startTestServer(
      { QUN_REMINDER_SCAN_INTERVAL: '1h', QUN_REMINDER_DELAY: '0s', QUN_WEB_ONLINE_TTL: '5m' },
      { pushAgent: push.agent },
    );
    g = await smsGroup(s, OWNER, '合唱团', [MEMBER, SMS_ONLY, REMINDED]);
    for (const body of ['周四排练', '记得带乐谱', '七点开始'])
      await s.api.req('POST', `/v1/groups/${g.groupId}/messages`, { body }, g.ownerToken);
    const member = (await signedInContext(browser, s, MEMBER)).token;
    await s.api.req('PATCH', '/v1/me', { name: '小王' }, member);
    await s.api.req('POST', `/v1/groups/${g.groupId}/messages`, { body: '收到' }, member);
    // The check below is only as good as its list: it holds every English sentence of the catalogue.
    assert.ok(ENGLISH.length > 80, `${ENGLISH.length} English fragments`);
    await s.settle();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    await push?.close();
  });

  test('install criteria: a manifest with icons and a service worker; first load within 60 KB', {
    skip,
  }, async () => {
    const { ctx, page } = await signedInContext(browser, s, MEMBER, { viewport: PHONE });
    let bytes = 0;
    page.on('requestfinished', (r) => {
      void r.sizes().then((z) => {
        bytes += z.responseBodySize + z.responseHeadersSize;
      });
    });
    await openApp(page, s.url);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    const cdp = await ctx.newCDPSession(page);
    const manifest = (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[] };
    assert.match(manifest.url, /\/manifest\.webmanifest$/);
    assert.deepEqual(manifest.errors, []);
    const errors = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] };
    // Test contexts are incognito-like, which Chromium never installs from; everything the page controls passes.
    assert.deepEqual(
      errors.installabilityErrors.filter((e) => (e as { errorId: string }).errorId !== 'in-incognito'),
      [],
      'installable',
    );
    process.stdout.write(
      `# first load of / on a phone, signed in (headers + encoded bodies): ${bytes} bytes\n`,
    );
    assert.ok(bytes <= 60 * 1024, `${bytes} bytes`);
    // Offline: a navigation gets the offline page from the service worker's cache.
    await ctx.setOffline(true);
    await page.goto(`${s.url}/`).catch(() => {});
    await page.locator('h1', { hasText: 'You are offline' }).waitFor();
    await ctx.setOffline(false);
    await ctx.close();
  });

  test('a reminder pushed through the service worker; tapping it opens the group at the first unread', {
    skip,
  }, async () => {
    const { ctx, page, token } = await signedInContext(browser, s, REMINDED, { viewport: PHONE });
    // This member is not live (its socket never reaches the server): new messages wait in its inbox.
    await page.routeWebSocket(/\/v1\/ws$/, () => {});
    await page.goto(`${s.url}/`);
    await page.locator('#groups button', { hasText: '合唱团' }).waitFor();
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await eventually(
      () => page.evaluate(() => (navigator.serviceWorker.controller ? true : undefined)),
      5000,
      'the page is controlled by the service worker',
    );
    // The browser here has no push service of its own, so the server pushes to the local one, which the
    // test relays to the service worker (what a browser's push service does).
    const sub = push.newSubscription();
    assert.equal((await s.api.req('POST', '/v1/push/subscriptions', sub.target, token)).status, 201);
    const seen = (await s.api.req('GET', '/v1/inbox', undefined, token)).json.seen;
    await s.api.req('GET', `/v1/inbox?seen=${seen}`, undefined, token);
    const before = (await s.api.req('GET', `/v1/groups/${g.groupId}`, undefined, token)).json;
    const posted = (
      await s.api.req('POST', `/v1/groups/${g.groupId}/messages`, { body: '改到八点' }, g.ownerToken)
    ).json;
    // It waits in the inbox (after one ack timeout, if the server still counted an earlier socket as live).
    const meId = (await s.api.req('GET', '/v1/me', undefined, token)).json.id;
    let last = '';
    await eventually(
      async () => {
        await s.settle();
        const trail = (await s.api.req('GET', `/v1/messages/${posted.id}/trail`, undefined, g.ownerToken))
          .json;
        const steps = trail.members.find((m: { userId: number }) => m.userId === meId)?.steps ?? [];
        last = JSON.stringify(steps);
        return steps.some((x: { rung: string }) => x.rung === 'inbox') ? true : undefined;
      },
      5000,
      'the message waiting in the inbox',
    ).catch((e: Error) => {
      throw new Error(`${e.message}; its trail for this member: ${last}`);
    });
    const sent = push.received.length;
    await s.reminders.run();
    const got = await eventually(
      () => push.received.slice(sent).find((r) => r.endpoint === sub.target.endpoint),
      5000,
      'the reminder at the push service',
    );
    const payload = sub.decrypt(got.body);
    assert.equal(JSON.parse(payload).groupId, g.groupId);

    const cdp = await ctx.newCDPSession(page);
    const regs: { registrationId: string; scopeURL: string }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: typeof regs }) =>
      regs.push(...e.registrations),
    );
    await cdp.send('ServiceWorker.enable');
    const reg = await eventually(
      () => regs.find((r) => r.scopeURL === `${s.url}/`),
      5000,
      'the registration id',
    );
    await ctx.grantPermissions(['notifications'], { origin: s.url });
    // The worker must be active to take the push; on a loaded machine it may still be starting, and a
    // push delivered to a worker that is not running yet can be dropped by the browser: deliver again.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const notifications = () =>
      page.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((x) => ({
          title: x.title,
          body: x.body,
        })),
      );
    let shown: { title: string; body: string }[] = [];
    for (let attempt = 0; attempt < 3 && shown.length === 0; attempt++) {
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin: s.url,
        registrationId: reg.registrationId,
        data: payload,
      });
      shown =
        (await eventually(
          async () => {
            const n = await notifications();
            return n.length > 0 ? n : undefined;
          },
          5000,
          'the notification shown',
        ).catch(() => undefined)) ?? [];
    }
    assert.ok(shown.length > 0, 'the worker showed the reminder');
    assert.equal(shown[0]!.title, '合唱团');
    // The tap: the worker's own click handler code, run on the notification it showed.
    const sw = ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker'));
    await sw.evaluate(async () => {
      const [n] = await (
        self as unknown as { registration: ServiceWorkerRegistration }
      ).registration.getNotifications();
      await (self as unknown as { openNotification(d: unknown): Promise<void> }).openNotification(n!.data);
    });
    await page.waitForURL(`${s.url}/`); // ?g= is consumed and dropped once the group opens
    await page.locator('#chat-name', { hasText: '合唱团' }).waitFor();
    const line = page.locator('#unread-line');
    await line.waitFor();
    const first = page.locator('#unread-line + .msg');
    assert.equal(await first.getAttribute('data-seq'), String(before.readSeq + 1));
    await screenshot(page, 'app-reminder-opened-phone-zh-CN');
    await ctx.close();
  });

  test('the reminders offer ends in a clear state when the browser refuses', { skip }, async () => {
    const { ctx, page } = await signedInContext(browser, s, MEMBER, { viewport: PHONE });
    await openApp(page, s.url);
    await page.click('#settings-open');
    await page.click('#enable-reminders');
    const final = [en.pushDenied, en.pushRefused, en.pushTimeout, en.pushOn].map((x) => x.slice(0, 20));
    await eventually(
      async () => {
        const text = (await page.textContent('#push-status')) ?? '';
        return final.some((f) => text.startsWith(f)) || text.startsWith('Could not turn') ? text : undefined;
      },
      25_000,
      'a final push state',
    );
    await ctx.close();
  });

  for (const [lang, locale] of [
    ['en', 'en-GB'],
    ['zh-CN', 'zh-CN'],
  ] as const) {
    for (const [size, viewport] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      test(`every view in ${lang} at ${size} size: accessible, screenshotted${lang === 'zh-CN' ? ', no English' : ''}`, {
        skip,
      }, async () => {
        const { ctx, page } = await signedInContext(browser, s, MEMBER, { viewport, locale });
        const views: [string, (p: Page) => Promise<void>][] = [
          ['groups', async (p) => void (await openApp(p, s.url))],
          ['chat', (p) => openGroupIn(p, '合唱团')],
          [
            'members',
            async (p) => {
              await p.click('#people-open');
              await p.locator('#members li').first().waitFor();
            },
          ],
          [
            'delivery',
            async (p) => {
              await p.click('#people-close');
              await p.locator('#messages .msg.mine button.ticks').last().click();
              await p.locator('#trail .trail-member').first().waitFor();
            },
          ],
          [
            'settings',
            async (p) => {
              await p.click('#settings-open');
              await p.locator('#settings').waitFor();
            },
          ],
        ];
        const check = async (name: string) => {
          await assertAccessible(page, `${name} (${lang}, ${size})`);
          await screenshot(page, `app-${name}-${size}-${lang}`, false);
          if (lang === 'zh-CN') {
            const text = await readableText(page);
            const left = ENGLISH.filter((e) => text.includes(e));
            assert.deepEqual(left, [], `English left on ${name}`);
          }
        };
        for (const [name, go] of views) {
          await go(page);
          await check(name);
        }
        // Sign-in page (another context, not signed in).
        const anon = await browser.newContext({ viewport, locale });
        const p2 = await anon.newPage();
        await p2.goto(`${s.url}/`);
        await p2.locator('#phone-form').waitFor();
        await assertAccessible(p2, `sign-in (${lang}, ${size})`);
        await screenshot(p2, `app-signin-${size}-${lang}`, false);
        if (lang === 'zh-CN') {
          const text = await readableText(p2);
          assert.deepEqual(
            ENGLISH.filter((e) => text.includes(e)),
            [],
            'English left on sign-in',
          );
        }
        await anon.close();
        await ctx.close();
      });
    }
  }
});
