// Hostile group names, display names and message bodies rendered by /, /m and /sim in chromium stay text.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page, Response } from 'playwright-core';
import { cleanName } from '../../src/domain/names.ts';
import { measureLtr } from '../helpers/bidi.ts';
import {
  browserSkip,
  launchBrowser,
  newContext,
  screenshot,
  type Watch,
  watchPage,
} from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const skip = browserSkip ?? false;

// Names lose control and format characters when stored (src/domain/names.ts), and the pages isolate each
// name (<bdi>, unicode-bidi: isolate) so that nothing in it can reorder the time or phone shown after it.

/** Each fits the 40-character limit on names, so every one is used as a group name and a display name too. */
const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  "'><svg onload=alert(1)>",
  'javascript:alert(1)',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${} is the payload (template injection)
  '{{7*7}} ${7*7} <%= 7*7 %>',
  '</textarea><img src=x onerror=alert(2)>',
  '</li><iframe src=javascript:alert(3)>',
  '\u202Eexe.gnp <b>bidi</b>', // an override left open, as a spoofer would
  'crlf\r\nSet-Cookie: x=1\r\n\r\n<b>crlf</b>',
];
const BIDI = HOSTILE.findIndex((h) => h.startsWith('\u202E'));
// The longest body the server accepts, made of payloads so that a partial escape would still show.
const LONG = '<img src=x onerror=alert(4)>'.repeat(100).slice(0, 2000);
const LONG_NAME = '<img src=x onerror=alert(5)>'.repeat(2).slice(0, 40);

const OWNER = '+8613900139000';
const VIEWER = '+8613900139001'; // looks at every page
const SMS_ONLY = '+8613900139002'; // its texts are what /sim shows
const sender = (i: number) => `+86139001391${String(i).padStart(2, '0')}`;

/** Markup a hostile string would create if any page let it through: none of our pages has any of it. */
function injected(): string[] {
  const found: string[] = [];
  for (const e of document.querySelectorAll('body *')) {
    const tag = e.tagName.toLowerCase();
    if (['img', 'svg', 'iframe', 'object', 'embed', 'b'].includes(tag)) found.push(`<${tag}>`);
    if (tag === 'script' && !(e as HTMLScriptElement).src) found.push('inline <script>');
    for (const a of e.attributes) {
      if (/^on/i.test(a.name)) found.push(`${tag}[${a.name}]`);
      if (/^\s*javascript:/i.test(a.value) && /^(href|src|action|formaction)$/.test(a.name))
        found.push(`${tag}[${a.name}=${a.value}]`);
    }
  }
  return found;
}

/** HTML parsing turns CR LF into LF; textContent set by script keeps CR. Compare text modulo that. */
const norm = (t: string) => t.replace(/\r\n?/g, '\n');

describe('hostile text stays text on /, /m and /sim', () => {
  let s: TestServer;
  let browser: Browser;
  let token = ''; // the viewer's
  let mainId = 0;
  let ownerToken = '';
  let bidiSender = ''; // token of the sender whose display name carries the open override
  const memberOf: string[] = []; // group names as the server stored them (names are cleaned)
  const invitedTo: string[] = [];
  const displayNames: string[] = [];
  const bodies: string[] = [];
  const limits: Record<string, number> = {};

  const req = (method: string, p: string, body: unknown, tok: string) => s.api.req(method, p, body, tok);
  const ok = async (r: Promise<{ status: number; json: unknown }>, what: string) => {
    const x = await r;
    assert.ok(x.status < 300, `${what}: ${x.status} ${JSON.stringify(x.json)}`);
    return x.json as Record<string, unknown>;
  };

  before(async () => {
    if (browserSkip) return;
    // One viewer invited to eleven groups, one owner creating them, a dozen sign-ins from loopback: lift
    // the anti-pumping caps.
    const env = {
      QUN_INVITES_PER_NUMBER_PER_DAY: '100',
      QUN_SIGNIN_CODES_PER_ADDRESS_PER_HOUR: '1000',
      QUN_GROUPS_PER_PHONE_PER_DAY: '100',
    };
    // The browser first: when it cannot start (CI without chromium) there is no server left running.
    browser = await launchBrowser();
    s = await startTestServer(env);
    const sms = async (from: string, to: string, text: string) => {
      await s.api.sms(from, to, text);
      await s.settle();
    };
    const signIn = (p: string) => s.api.signIn(p, () => s.settle());
    // The main group comes from SMS (CREATE parses the name from a text), the others from the API.
    await sms(OWNER, '10658', `CREATE ${HOSTILE[0]}`);
    const address = /(1065801\d{4,})/.exec((await s.api.texts(OWNER)).at(-1)!.text)![1]!;
    const owner = await signIn(OWNER);
    ownerToken = owner;
    await ok(req('PATCH', '/v1/me', { name: LONG_NAME }, owner), 'owner name');
    mainId = ((await ok(req('GET', '/v1/groups', undefined, owner), 'groups')).groups as { id: number }[])[0]!
      .id;
    const senders = HOSTILE.map((_, i) => sender(i));
    await ok(
      req('POST', `/v1/groups/${mainId}/invitations`, { phones: [VIEWER, SMS_ONLY, ...senders] }, owner),
      'invite',
    );
    await sms(SMS_ONLY, address, 'Y');
    token = await signIn(VIEWER);
    await ok(req('PATCH', '/v1/me', { name: HOSTILE[2] }, token), 'viewer name');
    await ok(req('POST', `/v1/groups/${mainId}/join`, undefined, token), 'viewer joins');
    const senderTokens = await Promise.all(senders.map(signIn));
    bidiSender = senderTokens[BIDI]!;
    for (const [i, t] of senderTokens.entries()) {
      await ok(req('PATCH', '/v1/me', { name: HOSTILE[i] }, t), `sender ${i} name`);
      await ok(req('POST', `/v1/groups/${mainId}/join`, undefined, t), `sender ${i} joins`);
      displayNames.push(cleanName(HOSTILE[i]!)!);
    }
    displayNames.push(LONG_NAME);
    // One more group per hostile name; the viewer accepts every other one and leaves the rest as invitations.
    for (const [i, name] of [...HOSTILE.slice(1), LONG_NAME].entries()) {
      const g = await ok(req('POST', '/v1/groups', { name }, owner), `group ${i}`);
      await ok(
        req('POST', `/v1/groups/${g.id}/invitations`, { phones: [VIEWER, SMS_ONLY] }, owner),
        'invite',
      );
      if (i % 2 === 0) {
        await ok(req('POST', `/v1/groups/${g.id}/join`, undefined, token), 'join');
        memberOf.push(g.name as string);
      } else invitedTo.push(g.name as string);
    }
    memberOf.unshift(
      ((await ok(req('GET', `/v1/groups/${mainId}`, undefined, token), 'main')) as { name: string }).name,
    );
    // Limits answer 400 rather than storing a longer string or failing with a 500.
    limits.groupName = (await req('POST', '/v1/groups', { name: `${LONG_NAME}x` }, owner)).status;
    limits.displayName = (await req('PATCH', '/v1/me', { name: `${LONG_NAME}x` }, owner)).status;
    limits.body = (await req('POST', `/v1/groups/${mainId}/messages`, { body: `${LONG}x` }, owner)).status;

    // The viewer fetched its inbox: web-online, so the messages below wait for /m instead of being texted.
    await ok(req('GET', '/v1/inbox', undefined, token), 'inbox');
    for (const [i, t] of senderTokens.entries()) {
      const body = HOSTILE[(i + 1) % HOSTILE.length]!;
      await ok(req('POST', `/v1/groups/${mainId}/messages`, { body }, t), `message ${i}`);
      bodies.push(body);
    }
    await ok(req('POST', `/v1/groups/${mainId}/messages`, { body: LONG }, owner), 'long message');
    bodies.push(LONG);
    await sms(SMS_ONLY, address, 'by text: <script>alert(6)</script>\r\n"><img src=x onerror=alert(6)>');
    bodies.push('by text: <script>alert(6)</script>\r\n"><img src=x onerror=alert(6)>');
    await s.settle();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  interface Visit {
    ctx: BrowserContext;
    page: Page;
    w: Watch;
    responses: Response[];
  }
  const open = async (signedIn: boolean): Promise<Visit> => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const w = await watchPage(page);
    const responses: Response[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(s.url)) responses.push(r);
    });
    // The live client keeps its token in localStorage; put the viewer's there before app.js reads it.
    if (signedIn) await page.addInitScript((t) => localStorage.setItem('qun.token', t), token);
    return { ctx, page, w, responses };
  };
  /** No script ran, nothing was blocked, nothing was injected, and every response carried the CSP. */
  const clean = async (v: Visit, what: string, expected: RegExp[] = []) => {
    await v.page.waitForTimeout(200); // a late onerror or onload would fire within this
    const problems = (await v.w.problems()).filter((p) => !expected.some((re) => re.test(p)));
    assert.deepEqual(problems, [], `${what}: problems`);
    assert.deepEqual(await v.page.evaluate(injected), [], `${what}: injected markup`);
    assert.ok(v.responses.length > 0);
    for (const r of v.responses) {
      const csp = (await r.allHeaders())['content-security-policy'] ?? '';
      assert.match(csp, /(^|;)\s*default-src 'self'/, `${what}: CSP on ${r.url()}`);
    }
    await v.ctx.close();
  };
  /** textContent, not innerText: what the DOM holds, not how CSS lays it out. */
  const texts = (l: Locator) =>
    l.evaluateAll((els) => els.map((e) => e.textContent ?? '')).then((t) => t.map(norm));

  test('over-long names and bodies are refused with 400', { skip }, () => {
    assert.deepEqual(limits, { groupName: 400, displayName: 400, body: 400 });
  });

  test('/m shows every name and body as text, sign-in errors included', { skip }, async () => {
    const v = await open(false);
    const { page } = v;
    // A refused phone number comes back in the form's value attribute and in the error.
    await page.goto(`${s.url}/m`);
    await page.fill('form[action="/m/code"] input[name=phone]', HOSTILE[2]!);
    await page.click('form[action="/m/code"] button[type=submit]');
    await page.locator('.error').waitFor();
    assert.equal(await page.inputValue('form[action="/m/code"] input[name=phone]'), HOSTILE[2]);
    // Signed in with the viewer's session cookie, as /m/signin would set it.
    await v.ctx.addCookies([{ name: 'qun_session', value: token, url: s.url }]);
    await page.goto(`${s.url}/m`);
    assert.ok(((await page.textContent('header')) ?? '').includes(HOSTILE[2]!));
    const shownNames = await texts(page.locator('section.group h2'));
    for (const name of memberOf)
      assert.ok(
        shownNames.some((t) => t.startsWith(norm(name))),
        `group ${JSON.stringify(name)} in ${shownNames}`,
      );
    const shownBodies = await texts(page.locator('.msg .body'));
    for (const b of bodies) assert.ok(shownBodies.includes(norm(b)), `body ${JSON.stringify(b)}`);
    const from = await texts(page.locator('.msg .from'));
    for (const n of displayNames) assert.ok(from.includes(norm(n)), `sender ${JSON.stringify(n)} in ${from}`);
    await screenshot(page, 'xss-m', false); // the top is enough; full pages run to metres
    // The refused phone number is a 400 page, which chromium reports on the console.
    await clean(v, '/m', [/status of 400 .*\/m\/code$/]);
  });

  test('/ shows every name and body as text: groups, invitations, chat, members, errors', {
    skip,
  }, async () => {
    const v = await open(true);
    const { page } = v;
    await page.goto(`${s.url}/`);
    await page.locator('#status', { hasText: 'live' }).waitFor();
    assert.ok((await page.textContent('#whoami'))!.includes(HOSTILE[2]!));
    assert.deepEqual((await texts(page.locator('#groups button'))).sort(), memberOf.map(norm).sort());
    const invites = await texts(page.locator('#invitations strong'));
    assert.deepEqual(invites.sort(), invitedTo.map(norm).sort());
    // Every group's name is also shown as the chat heading.
    // On a phone the chat replaces the group list, and "‹ Groups" brings it back.
    for (const [i, name] of memberOf.entries()) {
      await page.locator('#groups button').nth(i).click();
      await page.waitForFunction((n) => document.getElementById('chat-name')?.textContent === n, name);
      await page.click('#back');
    }
    await page.locator('#groups button').first().click();
    await page
      .locator('#messages .msg')
      .nth(bodies.length - 1)
      .waitFor();
    const shown = await texts(page.locator('#messages .msg .body'));
    for (const b of bodies) assert.ok(shown.includes(norm(b)), `body ${JSON.stringify(b)}`);
    const from = await texts(page.locator('#messages .msg .from'));
    for (const n of displayNames) assert.ok(from.includes(norm(n)), `sender ${JSON.stringify(n)}`);
    await page.click('#people-open');
    await page.locator('#members li').first().waitFor();
    const members = (await texts(page.locator('#members li'))).join('\n');
    for (const n of displayNames) assert.ok(members.includes(norm(n)), `member ${JSON.stringify(n)}`);
    // On a phone the members panel takes the chat's place; closing it brings the chat back.
    await page.click('#people-close');
    // Typed into the page: a message goes out live and comes back as text; bad phones are echoed in the result.
    await page.fill('#send-body', HOSTILE[1]!);
    await page.press('#send-body', 'Enter');
    await page.locator('#messages .msg.mine:not(.pending) .body', { hasText: HOSTILE[1]! }).waitFor();
    await page.click('#people-open');
    await page.fill('#invite-phones', `${HOSTILE[3]}, ${HOSTILE[4]}`);
    await page.click('#invite-form button[type=submit]');
    await page.locator('#invite-result', { hasText: 'not valid' }).waitFor();
    await screenshot(page, 'xss-app', false); // the top is enough; full pages run to metres
    await clean(v, '/');
  });

  test('/sim shows every text Qun sent as text', { skip }, async () => {
    await s.settle();
    const expected = (await s.api.texts(SMS_ONLY)).map((t) => t.text);
    assert.ok(expected.length >= bodies.length, 'the SMS member got the messages by text');
    const v = await open(false);
    const { page } = v;
    await page.goto(`${s.url}/sim`);
    const card = page.locator('article.phone', { has: page.locator('strong', { hasText: SMS_ONLY }) });
    await card
      .locator('.text .body')
      .nth(expected.length - 1)
      .waitFor();
    assert.deepEqual(await texts(card.locator('.text .body')), expected.map(norm));
    // A refused sender comes back in the error line, as text.
    await page.fill('#from', HOSTILE[1]!);
    await page.fill('#text', HOSTILE[0]!);
    await page.click('#send-form button[type=submit]');
    await page.locator('#error:not([hidden])').waitFor();
    await screenshot(page, 'xss-sim', false); // the top is enough; full pages run to metres
    await clean(v, '/sim', [/status of 400 .*\/v1\/sim\/sms$/]);
  });

  test('a bidi override in a display name does not reorder the text after it', {
    skip,
  }, async () => {
    // The same checks on a plain name are the control: they show the measurement itself is sound.
    await ok(req('GET', '/v1/inbox', undefined, token), 'web-online'); // so the probes wait for /m
    await ok(req('POST', `/v1/groups/${mainId}/messages`, { body: 'bidi probe' }, bidiSender), 'probe');
    await ok(req('POST', `/v1/groups/${mainId}/messages`, { body: 'plain probe' }, ownerToken), 'control');
    const ltr: Record<string, boolean> = {};
    const v = await open(false);
    await v.ctx.addCookies([{ name: 'qun_session', value: token, url: s.url }]);
    await v.page.goto(`${s.url}/m`);
    const time = (page: Page, body: string) => page.locator('.msg', { hasText: body }).locator('time');
    ltr.mControl = await measureLtr(time(v.page, 'plain probe'));
    ltr.mTimeAfterName = await measureLtr(time(v.page, 'bidi probe'), null);
    await v.ctx.close();

    const app = await open(true);
    await app.page.goto(`${s.url}/`);
    await app.page.locator('#groups button').first().click();
    await time(app.page, 'plain probe').waitFor();
    ltr.appControl = await measureLtr(time(app.page, 'plain probe'), null);
    ltr.appTimeAfterName = await measureLtr(time(app.page, 'bidi probe'), null);
    await app.page.click('#people-open');
    await app.page.locator('#members li').first().waitFor();
    const member = (phone: string) => app.page.locator('#members li', { hasText: phone });
    ltr.memberControl = await measureLtr(member(OWNER), OWNER);
    ltr.memberPhoneAfterName = await measureLtr(member(sender(BIDI)), sender(BIDI));
    await screenshot(app.page, 'xss-bidi', false);
    await app.ctx.close();
    assert.deepEqual(ltr, {
      mControl: true,
      mTimeAfterName: true,
      appControl: true,
      appTimeAfterName: true,
      memberControl: true,
      memberPhoneAfterName: true,
    });
  });

  test('every page and script response carries a CSP with default-src self', { skip }, async () => {
    const cookie = { cookie: `qun_session=${token}` };
    // The app's bundle has a content-hashed name: the one / names.
    const shell = await (await fetch(`${s.url}/`)).text();
    const bundle = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(shell)![1]!;
    for (const [p, headers] of [
      ['/', {}],
      ['/m', {}],
      ['/m', cookie],
      ['/sim', {}],
      [bundle, {}],
      ['/assets/sim.js', {}],
      ['/assets/push.js', {}],
      ['/assets/qun-client.js', {}],
    ] as const) {
      const r = await fetch(s.url + p, { headers });
      assert.equal(r.status, 200, p);
      assert.match(r.headers.get('content-security-policy') ?? '', /(^|;)\s*default-src 'self'/, p);
    }
  });
});
