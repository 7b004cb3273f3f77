// The / app (Preact + htm, bundled by the server at start): sign-in, header with language and settings,
// the group list with unread counts and live invitations, and the open group (chat.ts, panels.ts).
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Chat } from './chat.ts';
import { type Lang, setLang, t } from './i18n.ts';
import { Panel } from './panels.ts';
import { PushControl, registerWorker } from './push.ts';
import {
  changed,
  client,
  closeGroup,
  onChange,
  openGroup,
  refreshGroups,
  run,
  S,
  signedOut,
  signIn,
  start,
  unreadOf,
} from './state.ts';
import './app.css';

function LangSwitch() {
  return html`<label class="lang"><span class="sr-only">${t('language')}</span>
    <select id="lang" aria-label=${t('language')} value=${S.lang} onChange=${(e: Event) => {
      S.lang = setLang((e.target as HTMLSelectElement).value as Lang);
      changed();
    }}>
      <option value="en">English</option><option value="zh-CN">中文</option>
    </select></label>`;
}

function ErrorBanner() {
  if (!S.error) return null;
  return html`<p id="error" class="error" role="alert">${S.error}
    <button type="button" class="link" onClick=${() => {
      S.error = '';
      changed();
    }}>${t('close')}</button></p>`;
}

function SignIn() {
  const [phone, setPhone] = useState('');
  const [sent, setSent] = useState<number | undefined>(undefined);
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => codeRef.current?.focus(), [sent]);
  if (sent === undefined)
    return html`<section id="signin" class="card narrow"><h2>${t('signIn')}</h2>
      <form id="phone-form" onSubmit=${(e: Event) => {
        e.preventDefault();
        void run(async () => {
          const r = await client.requestCode(phone.trim());
          S.error = '';
          setSent(r.expiresIn);
        });
      }}>
        <label for="phone">${t('phone')}</label>
        <input type="tel" id="phone" autocomplete="tel" placeholder="+86…" required value=${phone}
          onInput=${(e: Event) => setPhone((e.target as HTMLInputElement).value)} />
        <button type="submit">${t('textMeCode')}</button>
      </form>
      <p class="hint">${t('simHint')} <a href="/sim">${t('openSim')}</a></p>
      <p class="hint">${t('basicHint')} <a href="/m">${t('openMobile')}</a></p>
    </section>`;
  return html`<section id="signin" class="card narrow"><h2>${t('signIn')}</h2>
    <form id="code-form" onSubmit=${(e: Event) => {
      e.preventDefault();
      void run(() => signIn(phone.trim(), codeRef.current!.value.trim()));
    }}>
      <p id="code-hint" class="hint">${t('codeSent', { phone, min: Math.round(sent / 60) })}</p>
      <label for="code">${t('code')}</label>
      <input type="text" id="code" ref=${codeRef} inputmode="numeric" autocomplete="one-time-code" maxlength="12" required />
      <button type="submit">${t('signIn')}</button>
      <button type="button" id="code-back" class="secondary" onClick=${() => setSent(undefined)}>${t('useAnother')}</button>
    </form></section>`;
}

function Header() {
  const me = S.me;
  return html`<header class="bar">
    <h1>${t('appName')}</h1>
    ${S.signedIn && html`<span id="status" class=${`status ${S.status === 'live' ? 'live' : 'offline'}`} role="status">${t(S.status)}</span>`}
    <span class="grow"></span>
    ${me && html`<span id="whoami" class="hint"><bdi>${me.name ?? me.phone}</bdi>${me.name ? ` (${me.phone})` : ''}</span>`}
    <${LangSwitch} />
    ${
      me &&
      html`<button type="button" id="settings-open" class="secondary small" aria-expanded=${S.panel === 'settings'}
      onClick=${() => {
        S.panel = S.panel === 'settings' ? undefined : 'settings';
        changed();
      }}>${t('settings')}</button>`
    }
  </header>`;
}

function Settings() {
  const [name, setName] = useState(S.me?.name ?? '');
  const [saved, setSaved] = useState(false);
  return html`<section id="settings" class="card" aria-labelledby="settings-title">
    <div class="chat-head"><h2 id="settings-title" class="grow">${t('settings')}</h2>
      <button type="button" class="secondary" onClick=${() => {
        S.panel = undefined;
        changed();
      }}>${t('close')}</button></div>
    <p class="hint">${t('signedInAs', { who: S.me?.phone ?? '' })}</p>
    <form id="name-form" onSubmit=${(e: Event) => {
      e.preventDefault();
      void run(async () => {
        const r = await client.updateMe({ name: name.trim() });
        S.me = { ...S.me!, name: r.name };
        setSaved(true);
        changed();
      });
    }}>
      <label for="display-name">${t('displayName')}</label>
      <input id="display-name" maxlength="40" required value=${name} onInput=${(e: Event) => {
        setName((e.target as HTMLInputElement).value);
        setSaved(false);
      }} />
      <button type="submit">${t('save')}</button> <span role="status">${saved ? t('saved') : ''}</span>
    </form>
    <h3>${t('notifications')}</h3>
    <${PushControl} />
    <div class="row wrap">
      <button type="button" id="signout" class="secondary" onClick=${() => {
        void client.signOut().catch(() => {});
        signedOut();
      }}>${t('signOut')}</button>
      <button type="button" id="signout-all" class="secondary" onClick=${() =>
        void run(async () => {
          await client.signOutEverywhere();
          signedOut();
        })}>${t('signOutAll')}</button>
    </div>
  </section>`;
}

function Sidebar() {
  const [name, setName] = useState('');
  const groups = [...S.groups.values()];
  return html`<aside id="sidebar">
    <nav class="card" aria-labelledby="groups-title"><h2 id="groups-title">${t('groups')}</h2>
      <ul id="groups" class="list">
        ${groups.map((g) => {
          const n = g.id === S.selected ? 0 : unreadOf(g);
          return html`<li key=${g.id} class=${g.id === S.selected ? 'row selected' : 'row'}>
            <button type="button" class="link grow" aria-current=${g.id === S.selected ? 'true' : undefined}
              onClick=${() => void run(() => openGroup(g.id))}><bdi>${g.name}</bdi></button>
            ${n > 0 && html`<span class="sr-only">${t('unreadCount', { n })}</span>`}
            ${n > 0 && html`<span class="badge" aria-hidden="true">${n}</span>`}
          </li>`;
        })}
      </ul>
      ${groups.length === 0 && html`<p id="no-groups" class="hint">${t('noGroups')}</p>`}
    </nav>
    ${
      S.invitations.length > 0 &&
      html`<section id="invites-card" class="card" aria-live="polite"><h2>${t('invitations')}</h2>
      <ul id="invitations" class="list">${S.invitations.map(
        (inv) => html`<li key=${inv.groupId} class="invite">
          <div class="grow"><strong><bdi>${inv.name}</bdi></strong>
            <div class="hint">${inv.invitedBy ? t('invitedBy', { who: inv.invitedBy }) : inv.address}</div></div>
          <div class="actions">
            <button type="button" class="accept" onClick=${() =>
              void run(async () => {
                await client.join(inv.groupId);
                await refreshGroups();
                await openGroup(inv.groupId);
              })}>${t('accept')}</button>
            <button type="button" class="secondary decline" onClick=${() =>
              void run(async () => {
                await client.decline(inv.groupId);
                await refreshGroups();
              })}>${t('decline')}</button>
          </div></li>`,
      )}</ul></section>`
    }
    <section class="card" aria-labelledby="push-title"><h2 id="push-title">${t('notifications')}</h2><${PushControl} /></section>
    <form id="create-form" class="card" onSubmit=${(e: Event) => {
      e.preventDefault();
      void run(async () => {
        const g = await client.createGroup(name.trim());
        setName('');
        await refreshGroups();
        await openGroup(g.id);
      });
    }}>
      <h2>${t('newGroup')}</h2>
      <label for="create-name">${t('name')}</label>
      <input type="text" id="create-name" maxlength="40" required value=${name}
        onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} />
      <button type="submit">${t('create')}</button>
    </form>
  </aside>`;
}

function App() {
  const [, setTick] = useState(0);
  useEffect(() => onChange(() => setTick((n) => n + 1)), []);
  const total = [...S.groups.values()].reduce((n, g) => n + (g.id === S.selected ? 0 : unreadOf(g)), 0);
  useEffect(() => {
    document.title = total > 0 ? `(${total}) ${t('appName')}` : t('appName');
  });
  return html`<${Header} /><${ErrorBanner} />
    <main id="content">
    ${
      !S.signedIn
        ? html`<${SignIn} />`
        : S.panel === 'settings'
          ? html`<${Settings} />`
          : html`<div id="main" class=${S.selected !== undefined ? 'layout chatting' : 'layout'}>
          <${Sidebar} />
          <section id="chat" class="card chat" aria-label=${t('message')}>
            ${S.selected === undefined ? html`<p id="chat-empty" class="hint">${t('pickGroup')}</p>` : html`<${Chat} />`}
          </section>
          ${S.selected !== undefined && S.panel && html`<${Panel} />`}
        </div>`
    }
    </main>`;
}

render(html`<${App} />`, document.getElementById('root')!);
void registerWorker();
if (S.signedIn)
  void run(async () => {
    await start();
    // A tapped reminder opens /?g=<group>: straight to its first unread message.
    const g = Number(new URLSearchParams(location.search).get('g'));
    if (g && S.groups.has(g)) {
      history.replaceState(null, '', '/');
      await openGroup(g, 'unread');
    }
  });

export { closeGroup };
