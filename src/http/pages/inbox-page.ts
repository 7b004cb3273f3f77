// The no-JavaScript mobile inbox /m as pure render functions: sign-in forms and the inbox itself, each an
// HTML string with every interpolated value escaped (the server adds headers and sends it).
import { randomUUID } from 'node:crypto';

export interface InboxMessageView {
  seq: number;
  fromName: string;
  body: string;
  /** Milliseconds since the epoch (or an ISO string). */
  at: number | string;
}

export interface InboxGroupView {
  id: number;
  name: string;
  address: string;
  unread: number;
  messages: InboxMessageView[];
}

export interface InboxView {
  user: { phone: string; name: string | null };
  groups: InboxGroupView[];
  refreshSeconds: number;
  now: number;
  /** The cursor of what this page shows; sent back by refresh and replies, it confirms the page arrived. */
  seen: string;
}

export interface SignInView {
  error?: string;
  phone?: string;
  codeSent?: boolean;
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

/** `<time>` with the full instant in datetime and `YYYY-MM-DD HH:MM` (UTC) as text. */
export function renderTime(at: number | string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '';
  const iso = d.toISOString();
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(`${iso.slice(0, 10)} ${iso.slice(11, 16)}`)} UTC</time>`;
}

function page(title: string, body: string, head = '', bodyAttrs = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
${head}<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body class="mobile"${bodyAttrs}>
${body}
</body>
</html>
`;
}

export function renderSignIn(view: SignInView = {}): string {
  const phone = escapeHtml(view.phone ?? '');
  const error = view.error ? `<p class="error" role="alert">${escapeHtml(view.error)}</p>\n` : '';
  const codeForm = `<form method="post" action="/m/signin" class="card">
<h2>Sign in with your code</h2>
${view.codeSent ? `<p class="hint">We texted a code to ${phone || 'your phone'}.</p>\n` : ''}<label>Phone number
<input type="tel" name="phone" value="${phone}" autocomplete="tel" required></label>
<label>Code
<input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="12" required${view.codeSent ? ' autofocus' : ''}></label>
<button type="submit">Sign in</button>
</form>`;
  const phoneForm = `<form method="post" action="/m/code" class="card">
<h2>${view.codeSent ? 'No code? Send another' : 'Get a sign-in code'}</h2>
<label>Phone number
<input type="tel" name="phone" value="${phone}" autocomplete="tel" placeholder="+86…" required${view.codeSent ? '' : ' autofocus'}></label>
<button type="submit">Text me a code</button>
</form>`;
  // Once a code was sent, the form that uses it comes first.
  const forms = view.codeSent ? `${codeForm}\n${phoneForm}` : `${phoneForm}\n${codeForm}`;
  return page(
    'Sign in · Qun',
    `<header><h1>Qun</h1><p class="hint">Your group messages, on any phone.</p></header>
<main>
${error}${forms}
</main>`,
  );
}

function renderMessage(m: InboxMessageView): string {
  return `<li class="msg" data-seq="${escapeHtml(m.seq)}"><span class="from">${escapeHtml(m.fromName)}</span> ${renderTime(m.at)}
<p class="body">${escapeHtml(m.body)}</p></li>`;
}

function renderGroup(g: InboxGroupView, seen: string): string {
  const id = escapeHtml(g.id);
  const messages = [...g.messages].sort((a, b) => a.seq - b.seq);
  const list =
    messages.length > 0
      ? `<ol class="messages">\n${messages.map(renderMessage).join('\n')}\n</ol>`
      : '<p class="hint">No new messages.</p>';
  const badge = g.unread > 0 ? ` <span class="badge">${escapeHtml(g.unread)} new</span>` : '';
  // A fresh cid per render: resubmitting the same form (double tap, back button) is a duplicate the server drops.
  return `<section class="group card" id="g${id}">
<h2>${escapeHtml(g.name)}${badge}</h2>
<p class="hint">SMS: ${escapeHtml(g.address)}</p>
${list}
<form method="post" action="/m/send" class="reply">
<input type="hidden" name="groupId" value="${id}">
<input type="hidden" name="seen" value="${escapeHtml(seen)}">
<input type="hidden" name="cid" value="${escapeHtml(randomUUID())}">
<label>Reply to ${escapeHtml(g.name)}
<textarea name="body" rows="2" required></textarea></label>
<button type="submit">Send</button>
</form>
</section>`;
}

export function renderInbox(view: InboxView): string {
  const who = view.user.name
    ? `<bdi>${escapeHtml(view.user.name)}</bdi> (${escapeHtml(view.user.phone)})`
    : escapeHtml(view.user.phone);
  const refresh = Math.max(1, Math.floor(view.refreshSeconds));
  const groups =
    view.groups.length > 0
      ? view.groups.map((g) => renderGroup(g, view.seen)).join('\n')
      : '<p class="card hint">You are in no groups yet. Accept an invitation by texting Y, or create one with CREATE name.</p>';
  // The meta refresh is for browsers without JavaScript; with it, push.js refreshes on the same period but
  // waits while a reply is being typed, which a meta refresh would throw away.
  const refreshUrl = view.seen ? `/m?seen=${view.seen}` : '/m';
  const head = `<noscript><meta http-equiv="refresh" content="${refresh};url=${escapeHtml(refreshUrl)}"></noscript>\n`;
  return page(
    'Inbox · Qun',
    `<header>
<h1>Qun</h1>
<p class="hint">Signed in as ${who}</p>
<p><a class="button" id="refresh" href="${escapeHtml(refreshUrl)}">Refresh</a></p>
</header>
<main>
${groups}
</main>
<footer>
<p class="hint">Updated ${renderTime(view.now)}; this page refreshes every ${refresh} s.</p>
<p><button type="button" id="enable-reminders" hidden>Enable reminders</button></p>
<p id="push-status" class="hint" role="status"></p>
<form method="post" action="/m/signout"><button type="submit" class="secondary">Sign out</button></form>
</footer>
<script src="/assets/push.js" type="module"></script>`,
    head,
    ` data-refresh="${refresh}" data-refresh-url="${escapeHtml(refreshUrl)}"`,
  );
}
