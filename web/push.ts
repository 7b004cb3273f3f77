// Progressive enhancement for the /m inbox: the "Enable reminders" button (service worker + Web Push
// subscription, authenticated by the session cookie), and a refresh that waits while a reply is typed.
export {};

const button = document.getElementById('enable-reminders') as HTMLButtonElement | null;
const statusLine = document.getElementById('push-status');

function say(text: string): void {
  if (statusLine) statusLine.textContent = text;
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
  if (!res.ok) throw new Error(res.status === 401 ? 'you are signed out' : `the server said ${res.status}`);
  return res.status === 204 ? undefined : res.json();
}

async function postSubscription(sub: PushSubscription): Promise<void> {
  const json = sub.toJSON();
  await api('/v1/push/subscriptions', { endpoint: json.endpoint, keys: json.keys });
}

async function enable(): Promise<void> {
  if (!button) return;
  button.disabled = true;
  say('Asking for permission…');
  try {
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      say('Reminders stay off: notifications were not allowed.');
      return;
    }
    const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    await navigator.serviceWorker.ready;
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
    say('Reminders are on: this phone is notified when messages wait for you.');
  } catch (e) {
    say(`Could not turn reminders on: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    button.disabled = false;
  }
}

async function setUpReminders(): Promise<void> {
  if (!button || !('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window))
    return;
  if (Notification.permission === 'denied') {
    say('Notifications are blocked for this site in the browser settings.');
    return;
  }
  const reg = await navigator.serviceWorker.getRegistration('/');
  const sub = Notification.permission === 'granted' ? await reg?.pushManager.getSubscription() : null;
  if (sub) {
    // Tell the server again: it drops subscriptions that failed, and this one may be one of them.
    await postSubscription(sub).catch(() => {});
    say('Reminders are on.');
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
setUpReminders().catch((e: unknown) =>
  say(`Reminders are unavailable: ${e instanceof Error ? e.message : String(e)}`),
);
