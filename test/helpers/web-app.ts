// Helpers for the / app's browser tests: a group set up the SMS way, signed-in contexts (the form once,
// then a token in localStorage), axe-core injected into a page, and the visible text of a page.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { newContext } from './browser.ts';
import type { TestServer } from './server.ts';

export async function smsSettled(s: TestServer, from: string, to: string, text: string): Promise<void> {
  await s.api.sms(from, to, text);
  await s.settle();
}

/** CREATE by SMS, invite with G, everyone answers Y; returns the group's SMS address and id. */
export async function smsGroup(
  s: TestServer,
  owner: string,
  name: string,
  members: string[],
): Promise<{ address: string; groupId: number; ownerToken: string }> {
  await smsSettled(s, owner, '10658', `CREATE ${name}`);
  const address = /(1065801\d{4,})/.exec((await s.api.texts(owner)).at(-1)!.text)![1]!;
  if (members.length > 0) {
    await smsSettled(s, owner, address, `G ${members.map((p) => p.slice(3)).join(' ')}`);
    for (const p of members) await smsSettled(s, p, address, 'Y');
  }
  const ownerToken = await s.api.signIn(owner, () => s.settle());
  const groups = (await s.api.req('GET', '/v1/groups', undefined, ownerToken)).json.groups as {
    id: number;
    name: string;
  }[];
  const groupId = groups.find((g) => g.name === name)!.id;
  return { address, groupId, ownerToken };
}

const tokens = new Map<string, string>();

/** A context already signed in as `phone` (its token in localStorage before any page script runs). */
export async function signedInContext(
  browser: Browser,
  s: TestServer,
  phone: string,
  opts: Parameters<Browser['newContext']>[0] = {},
): Promise<{ ctx: BrowserContext; page: Page; token: string }> {
  // Sign-in codes per number are rate-limited: one token per server and phone serves every context.
  const key = `${s.url} ${phone}`;
  const token = tokens.get(key) ?? (await s.api.signIn(phone, () => s.settle()));
  tokens.set(key, token);
  const ctx = await newContext(browser, opts);
  await ctx.addInitScript((t) => {
    if (!localStorage.getItem('qun.token')) localStorage.setItem('qun.token', t);
  }, token);
  const page = await ctx.newPage();
  return { ctx, page, token };
}

/** Opens / and waits for the live connection. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.locator('#status.live').waitFor();
}

export async function openGroupIn(page: Page, name: string): Promise<void> {
  await page.locator('#groups button', { hasText: name }).click();
  await page.locator('#chat-name', { hasText: name }).waitFor();
}

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core inside the page (injected over CDP, so the page's CSP does not stop it). */
export async function axeProblems(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const r = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: unknown): Promise<unknown> } }).axe;
    return axe.run({ resultTypes: ['violations'] });
  })) as { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function assertAccessible(page: Page, what: string): Promise<void> {
  assert.deepEqual(await axeProblems(page), [], `axe on ${what}`);
}

/** Everything a person can read on the page: text, and labels, placeholders, titles, button values. */
export async function readableText(page: Page): Promise<string> {
  return page.evaluate(() => {
    // biome-ignore lint/performance/useDomNodeTextContent: innerText is what is rendered, textContent is not
    const parts = [document.title, document.body.innerText];
    for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],[alt]'))
      for (const a of ['placeholder', 'aria-label', 'title', 'alt']) {
        const v = el.getAttribute(a);
        if (v) parts.push(v);
      }
    return parts.join('\n');
  });
}
