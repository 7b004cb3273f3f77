// The no-JavaScript mobile inbox /m as pure render functions: sign-in forms and the inbox itself (whole
// conversations with own and SMS-delivered messages marked, new ones counted as shown), in English or
// Chinese, times in the member's zone; each an HTML string with every interpolated value escaped.
import { randomUUID } from 'node:crypto';
import { formatInZone, type PageKey, type PageLang, text, ZONES } from './page-text.ts';

export interface InboxMessageView {
  seq: number;
  fromName: string;
  body: string;
  /** Milliseconds since the epoch (or an ISO string). */
  at: number | string;
  /** The member's own message. */
  mine?: boolean;
  /** It reached this member as a text. */
  viaSms?: boolean;
  /** New to this member: shown for the first time (what the count counts). */
  isNew?: boolean;
}

export interface InboxGroupView {
  id: number;
  name: string;
  address: string;
  /** New messages shown, as counted on the page. */
  unread: number;
  /** The conversation's latest part, oldest first. */
  messages: InboxMessageView[];
  /** Link to the page of earlier messages, when there are any. */
  earlierHref?: string;
  /** Link to later messages (on a page of earlier ones). */
  laterHref?: string;
  /** More new messages wait beyond what this page shows. */
  moreNew?: boolean;
}

export interface InboxView {
  user: { phone: string; name: string | null };
  groups: InboxGroupView[];
  refreshSeconds: number;
  now: number;
  /** The cursor of what this page shows; sent back by refresh and replies, it confirms the page arrived. */
  seen: string;
  lang?: PageLang;
  timeZone?: string;
  /** A page of one group's earlier messages: no refresh, no reply form. */
  history?: boolean;
}

export interface SignInView {
  error?: string;
  phone?: string;
  codeSent?: boolean;
  lang?: PageLang;
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for both element content and quoted attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** `<time>` with the full instant in datetime and `YYYY-MM-DD HH:MM <zone>` as text (UTC unless told). */
export function renderTime(at: number | string, timeZone = 'UTC', lang: PageLang = 'en'): string {
  const label = formatInZone(at, timeZone, lang);
  if (label === undefined) return '';
  return `<time datetime="${escapeHtml(new Date(at).toISOString())}">${escapeHtml(label)}</time>`;
}

function page(lang: PageLang, title: string, body: string, head = '', bodyAttrs = ''): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
${head}<title>${escapeHtml(title)}</title>
<link rel="icon" href="/favicon.ico" sizes="32x32">
<link rel="stylesheet" href="/assets/style.css">
</head>
<body class="mobile"${bodyAttrs}>
${body}
</body>
</html>
`;
}

/** Links to the other language (plain links: they work on any browser). */
function langSwitch(lang: PageLang, back: string): string {
  const other: PageLang = lang === 'zh-CN' ? 'en' : 'zh-CN';
  const label = other === 'zh-CN' ? '中文' : 'English';
  return `<p class="hint"><span>${escapeHtml(text(lang, 'language'))}:</span> <a href="/m/lang?set=${other}&amp;back=${encodeURIComponent(back)}" lang="${other}" hreflang="${other}">${label}</a></p>`;
}

export function renderSignIn(view: SignInView = {}): string {
  const lang = view.lang ?? 'en';
  const t = (k: PageKey, v: Record<string, string | number> = {}) => escapeHtml(text(lang, k, v));
  const phone = escapeHtml(view.phone ?? '');
  const error = view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>\n` : '';
  const codeForm = `<form method="post" action="/m/signin" class="card">
<h2>${t('signInWithCode')}</h2>
${view.codeSent ? `<p class="hint">${t('codeSentTo', { phone: view.phone || text(lang, 'yourPhone') })}</p>\n` : ''}<label>${t('phone')}
<input type="tel" name="phone" value="${phone}" autocomplete="tel" required></label>
<label>${t('code')}
<input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required${view.codeSent ? ' autofocus' : ''}></label>
<button type="submit">${t('signIn')}</button>
</form>`;
  const phoneForm = `<form method="post" action="/m/code" class="card">
<h2>${view.codeSent ? t('sendAnother') : t('getCode')}</h2>
<label>${t('phone')}
<input type="tel" name="phone" value="${phone}" autocomplete="tel" placeholder="+86…" required${view.codeSent ? '' : ' autofocus'}></label>
<button type="submit">${t('textMe')}</button>
</form>`;
  // Once a code was sent, the form that uses it comes first.
  const forms = view.codeSent ? `${codeForm}\n${phoneForm}` : `${phoneForm}\n${codeForm}`;
  return page(
    lang,
    `${text(lang, 'signInTitle')} · Qun`,
    `<header><h1>Qun</h1><p class="hint">${t('tagline')}</p></header>
<main>
${error}${forms}
</main>
<footer>${langSwitch(lang, '/m')}</footer>`,
  );
}

function renderMessage(m: InboxMessageView, lang: PageLang, zone: string): string {
  const t = (k: PageKey) => escapeHtml(text(lang, k));
  const cls = `msg${m.mine ? ' mine' : ''}${m.isNew ? ' new' : ''}${m.viaSms ? ' sms' : ''}`;
  const marks = [
    m.mine ? `<span class="mark">${t('you')}</span>` : '',
    m.isNew ? `<strong class="mark new">${t('isNew')}</strong>` : '',
    m.viaSms ? `<span class="mark sms">${t('bySms')}</span>` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `<li class="${cls}" data-seq="${escapeHtml(m.seq)}"><span class="from">${escapeHtml(m.fromName)}</span> ${renderTime(m.at, zone, lang)}${marks ? ` ${marks}` : ''}
<p class="body">${escapeHtml(m.body)}</p></li>`;
}

function renderGroup(g: InboxGroupView, view: InboxView, lang: PageLang, zone: string): string {
  const t = (k: PageKey, v: Record<string, string | number> = {}) => escapeHtml(text(lang, k, v));
  const id = escapeHtml(g.id);
  const messages = [...g.messages].sort((a, b) => a.seq - b.seq);
  const list =
    messages.length > 0
      ? `<ol class="messages">\n${messages.map((m) => renderMessage(m, lang, zone)).join('\n')}\n</ol>`
      : `<p class="hint">${t('noMessages')}</p>`;
  // The count and the list come from the same messages: "3 new" is three messages marked new below.
  const status =
    g.unread > 0
      ? ` <span class="badge">${t('newCount', { n: g.unread })}</span>`
      : view.history
        ? ''
        : ` <span class="hint">${t('noNew')}</span>`;
  const earlier = g.earlierHref ? `<p><a href="${escapeHtml(g.earlierHref)}">${t('earlier')}</a></p>\n` : '';
  const later = g.laterHref ? `<p><a href="${escapeHtml(g.laterHref)}">${t('later')}</a></p>\n` : '';
  const more = g.moreNew ? `<p class="hint">${t('moreNew')}</p>\n` : '';
  // A fresh cid per render: resubmitting the same form (double tap, back button) is a duplicate the server drops.
  const reply = view.history
    ? ''
    : `<form method="post" action="/m/send" class="reply">
<input type="hidden" name="groupId" value="${id}">
<input type="hidden" name="seen" value="${escapeHtml(view.seen)}">
<input type="hidden" name="cid" value="${escapeHtml(randomUUID())}">
<label>${t('replyTo', { name: g.name })}
<textarea name="body" rows="2" required></textarea></label>
<button type="submit">${t('send')}</button>
</form>`;
  return `<section class="group card" id="g${id}">
<h2>${escapeHtml(g.name)}${status}</h2>
<p class="hint">${t('smsAddress', { address: g.address })}</p>
${earlier}${list}
${more}${later}${reply}
</section>`;
}

export function renderInbox(view: InboxView): string {
  const lang = view.lang ?? 'en';
  const zone = view.timeZone ?? 'UTC';
  const t = (k: PageKey, v: Record<string, string | number> = {}) => escapeHtml(text(lang, k, v));
  const who = view.user.name
    ? `<bdi>${escapeHtml(view.user.name)}</bdi> (${escapeHtml(view.user.phone)})`
    : escapeHtml(view.user.phone);
  const refresh = Math.max(1, Math.floor(view.refreshSeconds));
  const groups =
    view.groups.length > 0
      ? view.groups.map((g) => renderGroup(g, view, lang, zone)).join('\n')
      : `<p class="card hint">${t('noGroups')}</p>`;
  // The meta refresh is for browsers without JavaScript; with it, push.js refreshes on the same period but
  // waits while a reply is being typed, which a meta refresh would throw away.
  const refreshUrl = view.seen ? `/m?seen=${view.seen}` : '/m';
  const head = view.history
    ? ''
    : `<noscript><meta http-equiv="refresh" content="${refresh};url=${escapeHtml(refreshUrl)}"></noscript>\n`;
  const zones = ZONES.includes(zone) ? ZONES : [zone, ...ZONES];
  const top = view.history
    ? `<p><a class="button" href="/m">${t('backToInbox')}</a></p>`
    : `<p><a class="button" id="refresh" href="${escapeHtml(refreshUrl)}">${t('refresh')}</a></p>`;
  return page(
    lang,
    `${text(lang, 'inboxTitle')} · Qun`,
    `<header>
<h1>Qun</h1>
<p class="hint">${t('signedInAs', { who: '\u0000' }).replace('\u0000', who)}</p>
${top}
</header>
<main>
${groups}
</main>
<footer>
<p class="hint">${t('updated', { time: '\u0000', n: refresh }).replace('\u0000', renderTime(view.now, zone, lang))}</p>
<p><button type="button" id="enable-reminders" hidden>${t('enableReminders')}</button></p>
<p id="push-status" class="hint" role="status"></p>
${langSwitch(lang, '/m')}
<form method="get" action="/m/zone" class="row">
<label>${t('timeZone')}
<select name="tz">${zones.map((z) => `<option value="${escapeHtml(z)}"${z === zone ? ' selected' : ''}>${escapeHtml(z)}</option>`).join('')}</select></label>
<button type="submit" class="secondary">${t('setZone')}</button>
</form>
<form method="post" action="/m/signout"><button type="submit" class="secondary">${t('signOut')}</button></form>
</footer>
<script src="/assets/push.js" type="module"></script>`,
    head,
    ` data-refresh="${refresh}" data-refresh-url="${escapeHtml(refreshUrl)}" data-lang="${lang}"`,
  );
}
