// Progressive enhancement for the /m inbox: the "Enable reminders" button (service worker + Web Push
// subscription, authenticated by the session cookie), and a refresh that waits while a reply is typed.
export {};

const button = document.getElementById('enable-reminders') as HTMLButtonElement | null;
const statusLine = document.getElementById('push-status');
/** A permission prompt the browser never answers must not leave "Asking…" on the page for ever. */
const PROMPT_TIMEOUT_MS = 20_000;

const WORDS = {
  en: {
    asking: 'Asking for permission…',
    refused: 'Reminders stay off: notifications were not allowed.',
    timeout: 'The browser did not answer. Check this site’s notification settings and try again.',
    on: 'Reminders are on: this phone is notified when messages wait for you.',
    onShort: 'Reminders are on.',
    failed: 'Could not turn reminders on: ',
    blocked: 'Notifications are blocked for this site in the browser settings.',
    unavailable: 'Reminders are unavailable: ',
    signedOut: 'you are signed out',
    server: 'the server said ',
  },
  'zh-CN': {
    asking: '正在请求权限…',
    refused: '提醒未开启：未允许通知。',
    timeout: '浏览器没有响应。请检查本站的通知设置后重试。',
    on: '提醒已开启：有消息等你时，这部手机会收到通知。',
    onShort: '提醒已开启。',
    failed: '无法开启提醒：',
    blocked: '浏览器设置中已禁止本站的通知。',
    unavailable: '提醒不可用：',
    signedOut: '你已退出登录',
    server: '服务器返回 ',
  },
};
const w = WORDS[document.body.dataset['lang'] === 'zh-CN' ? 'zh-CN' : 'en'];

function say(text: string): void {
  if (statusLine) statusLine.textContent = text;
}

function withTimeout<T>(p: Promise<T>): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), PROMPT_TIMEOUT_MS))]);
}

/** VAPID public keys travel as unpadded base64url; PushManager wants the raw bytes. */
function urlBase64ToUint8Array(s: string): Uint8Array<ArrayBuffer> {
  const b64 = (s + '='.repeat((4 - (s.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
}

async function api(path: string, body?: unknown): Promise<unknown> {
  const init: RequestInit = { credentials: 'same-origin' };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) throw new Error(res.status === 401 ? w.signedOut : `${w.server}${res.status}`);
  return res.status === 204 ? undefined : res.json();
}

async function postSubscription(sub: PushSubscription): Promise<void> {
  const json = sub.toJSON();
  await api('/v1/push/subscriptions', { endpoint: json.endpoint, keys: json.keys });
}

async function enable(): Promise<void> {
  if (!button) return;
  button.disabled = true;
  say(w.asking);
  try {
    const permission = await withTimeout(Notification.requestPermission());
    if (permission === 'timeout') return say(w.timeout);
    if (permission !== 'granted') return say(w.refused);
    const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    const ready = await withTimeout(navigator.serviceWorker.ready);
    if (ready === 'timeout') return say(w.timeout);
    // A tapped reminder comes back to this page.
    ready.active?.postMessage({ t: 'home', path: '/m' });
    const { publicKey } = (await api('/v1/push/key')) as { publicKey: string };
    const key = urlBase64ToUint8Array(publicKey);
    let sub = await reg.pushManager.getSubscription();
    // A subscription made for another server key (keys were rotated) cannot be reused.
    if (sub && !sameKey(sub.options.applicationServerKey, key)) {
      await sub.unsubscribe();
      sub = null;
    }
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await postSubscription(sub);
    button.hidden = true;
    say(w.on);
  } catch (e) {
    say(`${w.failed}${e instanceof Error ? e.message : String(e)}`);
  } finally {
    button.disabled = false;
  }
}

async function setUpReminders(): Promise<void> {
  if (!button || !('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window))
    return;
  if (Notification.permission === 'denied') {
    say(w.blocked);
    return;
  }
  const reg = await navigator.serviceWorker.getRegistration('/');
  const sub = Notification.permission === 'granted' ? await reg?.pushManager.getSubscription() : null;
  if (sub) {
    // Tell the server again: it drops subscriptions that failed, and this one may be one of them.
    await postSubscription(sub).catch(() => {});
    say(w.onShort);
    return;
  }
  button.hidden = false;
  button.addEventListener('click', () => void enable());
}

/** Refreshes like the page's meta refresh would, except while a reply is being typed or the tab is hidden. */
function autoRefresh(): void {
  const period = Number(document.body.dataset['refresh']) * 1000;
  if (!(period > 0)) return;
  const loadedAt = Date.now();
  const typing = () =>
    [...document.querySelectorAll('textarea')].some(
      (t) => t === document.activeElement || t.value.trim() !== '',
    );
  // Refreshing confirms the shown messages as fetched (delivered), so a hidden tab must not do it on its own.
  const maybeReload = () => {
    if (Date.now() - loadedAt < period || typing() || document.visibilityState !== 'visible') return;
    // The refresh URL carries this page's cursor: loading it confirms these messages arrived.
    location.replace(document.body.dataset['refreshUrl'] ?? location.pathname + location.search);
  };
  setInterval(maybeReload, 1000);
  document.addEventListener('visibilitychange', maybeReload);
}

autoRefresh();
setUpReminders().catch((e: unknown) => say(`${w.unavailable}${e instanceof Error ? e.message : String(e)}`));
