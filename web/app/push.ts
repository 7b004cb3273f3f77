// Web Push for the / app: registers the service worker (install criteria, offline page), and offers
// reminders with a clear state for each outcome, including a browser that never answers the prompt.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from './i18n.ts';
import { client } from './state.ts';

const PROMPT_TIMEOUT_MS = 20_000;

type PushState =
  | 'unknown'
  | 'unsupported'
  | 'off'
  | 'asking'
  | 'on'
  | 'denied'
  | 'refused'
  | 'timeout'
  | 'failed';

export async function registerWorker(): Promise<ServiceWorkerRegistration | undefined> {
  if (!('serviceWorker' in navigator)) return undefined;
  try {
    const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    // Tapping a reminder should come back to this page (the SW remembers which page asked).
    (await navigator.serviceWorker.ready).active?.postMessage({ t: 'home', path: '/' });
    return reg;
  } catch {
    return undefined;
  }
}

function keyBytes(s: string): Uint8Array<ArrayBuffer> {
  const b64 = (s + '='.repeat((4 - (s.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
}

async function subscribe(): Promise<PushState> {
  const permission = await withTimeout(Notification.requestPermission(), PROMPT_TIMEOUT_MS);
  if (permission === 'timeout') return 'timeout';
  if (permission !== 'granted') return permission === 'denied' ? 'denied' : 'refused';
  const reg = await withTimeout(navigator.serviceWorker.ready, PROMPT_TIMEOUT_MS);
  if (reg === 'timeout') return 'timeout';
  const key = keyBytes((await client.pushKey()).publicKey);
  let sub = await reg.pushManager.getSubscription();
  const same = (a: ArrayBuffer | null | undefined) =>
    !!a && a.byteLength === key.length && new Uint8Array(a).every((v, i) => v === key[i]);
  if (sub && !same(sub.options.applicationServerKey)) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  const j = sub.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
  await client.subscribePush({ endpoint: j.endpoint, keys: j.keys });
  return 'on';
}

export function PushControl() {
  const [state, setState] = useState<PushState>('unknown');
  const [why, setWhy] = useState('');
  useEffect(() => {
    if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
      setState('unsupported');
      return;
    }
    if (Notification.permission === 'denied') return setState('denied');
    void navigator.serviceWorker.getRegistration('/').then(async (reg) => {
      const sub = Notification.permission === 'granted' ? await reg?.pushManager.getSubscription() : null;
      if (!sub) return setState('off');
      // Tell the server again: it drops subscriptions that failed, and this may be one of them.
      const j = sub.toJSON() as { endpoint: string; keys: { p256dh: string; auth: string } };
      await client.subscribePush({ endpoint: j.endpoint, keys: j.keys }).catch(() => {});
      setState('on');
    });
  }, []);
  const text: Record<PushState, string> = {
    unknown: '',
    unsupported: t('pushUnsupported'),
    off: t('pushOff'),
    asking: t('pushAsking'),
    on: t('pushOn'),
    denied: t('pushDenied'),
    refused: t('pushRefused'),
    timeout: t('pushTimeout'),
    failed: t('pushFailed', { why }),
  };
  const offer = ['off', 'refused', 'timeout', 'failed', 'asking'].includes(state);
  return html`<div class="push">
    <p id="push-status" role="status" class="hint">${text[state]}</p>
    ${
      offer &&
      html`<button type="button" id="enable-reminders" disabled=${state === 'asking'} onClick=${() => {
        setState('asking');
        subscribe().then(setState, (e: unknown) => {
          setWhy(e instanceof Error ? e.message : String(e));
          setState('failed');
        });
      }}>${t('pushEnable')}</button>`
    }
  </div>`;
}
