// Real-browser helpers: launch Debian's chromium via playwright-core; record page errors, CSP violations, stray script.
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from './server.ts';

export const CHROMIUM = '/usr/bin/chromium';

// Nothing may reach beyond loopback: no update checks, no sync, no QUIC probes; no GPU in containers.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const PHONE = { width: 390, height: 844 };
export const SCREENSHOTS = path.join(ROOT, 'test-results');

const INSTALL = `apt-get install -y chromium fonts-wqy-microhei`;

/**
 * Why the browser tests cannot run here, for `test(name, { skip })`; undefined when they can. Under CI a
 * missing browser is not a reason to skip: the tests run and fail in launchBrowser() with the fix.
 */
export const browserSkip: string | undefined = (() => {
  if (fs.existsSync(CHROMIUM) || process.env.CI) return undefined;
  const reason = `BROWSER TESTS SKIPPED: ${CHROMIUM} is missing (${INSTALL}; with CI set this fails instead)`;
  // The skip reason is easy to miss among passing tests, so say it on stderr as well.
  process.stderr.write(`\n*** ${reason} ***\n\n`);
  return reason;
})();

/** Launches chromium with a fresh temporary profile (chromium.launch makes and deletes it). */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: ${INSTALL} (never "npx playwright install")`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 20_000 });
}

/** A context with short timeouts: every wait in these tests is for a loopback server. */
export async function newContext(
  browser: Browser,
  opts: Parameters<Browser['newContext']>[0] = {},
): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: PHONE, locale: 'en-GB', ...opts });
  ctx.setDefaultTimeout(10_000);
  ctx.setDefaultNavigationTimeout(10_000);
  return ctx;
}

/** What the init script records inside the page: calls a hostile string would make if it ever ran. */
export interface Hooked {
  dialogs: string[];
  console: string[];
  csp: string[];
}

declare global {
  interface Window {
    __qunHooks?: Hooked;
  }
}

/**
 * Runs before any page script (Playwright injects it over CDP, so the page's CSP does not block it). It wraps
 * alert/confirm/prompt/print and console.* so a payload that executes leaves a record even if it never
 * opens a dialog, and listens for securitypolicyviolation so blocked inline script is counted too.
 */
function installHooks(): void {
  const rec: Hooked = { dialogs: [], console: [], csp: [] };
  Object.defineProperty(window, '__qunHooks', { value: rec, enumerable: false });
  const w = window as unknown as Record<string, unknown>;
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    const orig = w[name] as (...a: unknown[]) => unknown;
    w[name] = (...args: unknown[]) => {
      rec.dialogs.push(`${name}(${args.map(String).join(', ')})`);
      return orig.apply(window, args);
    };
  }
  const con = console as unknown as Record<string, (...a: unknown[]) => void>;
  for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table']) {
    const orig = con[name]!;
    con[name] = (...args: unknown[]) => {
      rec.console.push(`console.${name}(${args.map(String).join(', ')})`);
      orig.apply(console, args);
    };
  }
  document.addEventListener(
    'securitypolicyviolation',
    (e) =>
      rec.csp.push(
        `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`,
      ),
    true,
  );
}

/** Everything a page did wrong while watched; `problems()` lists it for an assertion message. */
export interface Watch {
  /** console messages of type error, from the page itself or from the browser (CSP reports land here). */
  consoleErrors: string[];
  /** CSP violations as the browser reported them on the console. */
  cspConsole: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  pageErrors: string[];
  /** Native dialogs that actually opened (each is dismissed). */
  dialogs: string[];
  /** Failed requests other than ones the test aborted. */
  failedRequests: string[];
  /** The init-script records of the page's current document (empty when JavaScript is off). */
  hooked(): Promise<Hooked>;
  problems(): Promise<string[]>;
}

export async function watchPage(page: Page): Promise<Watch> {
  const w: Watch = {
    consoleErrors: [],
    cspConsole: [],
    pageErrors: [],
    dialogs: [],
    failedRequests: [],
    hooked: async () => {
      try {
        const r = await page.evaluate(() => window.__qunHooks);
        return r ?? { dialogs: [], console: [], csp: [] };
      } catch {
        // With JavaScript disabled or mid-navigation there is no hook state to read.
        return { dialogs: [], console: [], csp: [] };
      }
    },
    problems: async () => {
      const h = await w.hooked();
      return [
        ...w.pageErrors.map((e) => `page error: ${e}`),
        ...w.consoleErrors.map((e) => `console error: ${e}`),
        ...w.cspConsole.map((e) => `CSP (console): ${e}`),
        ...w.dialogs.map((d) => `dialog opened: ${d}`),
        ...w.failedRequests.map((r) => `request failed: ${r}`),
        ...h.dialogs.map((d) => `script called ${d}`),
        ...h.console.map((c) => `script called ${c}`),
        ...h.csp.map((c) => `CSP (event): ${c}`),
      ];
    },
  };
  await page.addInitScript(installHooks);
  page.on('console', (m) => {
    const text = `${m.text()} @ ${m.location().url}`;
    // Chromium asks for /favicon.ico on its own; the pages do not link one, so its 404 is not theirs.
    if (/\/favicon\.ico$/.test(m.location().url)) return;
    if (/Content Security Policy/i.test(m.text())) w.cspConsole.push(text);
    else if (m.type() === 'error') w.consoleErrors.push(text);
  });
  page.on('pageerror', (e) => w.pageErrors.push(String(e.stack ?? e)));
  page.on('dialog', (d) => {
    w.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => {});
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? '';
    // A navigation away cancels in-flight polls (the sim page polls every 2 s); that is not a failure.
    if (why !== 'net::ERR_ABORTED') w.failedRequests.push(`${r.method()} ${r.url()}: ${why}`);
  });
  return w;
}

/** A screenshot in test-results/ (gitignored), for a person to look at; whole page unless told otherwise. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}
