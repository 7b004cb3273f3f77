// The / page: phone + code sign-in, groups and invitations, and a live chat for the selected group.
// All user text reaches the DOM through textContent; the page runs under a CSP without inline script.
// @ts-expect-error -- the browser resolves the served path; tsc gets the types from the import below
import { QunClient as ServedClient, randomId as servedRandomId } from '/assets/qun-client.js';
import type {
  ApiMessage,
  GroupState,
  InviteResult,
  QunClient as QunClientType,
  randomId as RandomIdType,
  User,
  WireMessage,
} from '../src/client/qun-client.ts';

const QunClient = ServedClient as typeof QunClientType;
const randomId = servedRandomId as typeof RandomIdType;
const TOKEN_KEY = 'qun.token';
const HISTORY = 50;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);

const client = new QunClient({
  baseUrl: location.origin,
  token: localStorage.getItem(TOKEN_KEY) ?? undefined,
});
let me: User | undefined;
let groups = new Map<number, GroupState>();
let selected: number | undefined;
const unread = new Map<number, number>();
/** The selected group's rendered messages by seq: history and live frames overlap, each shows once. */
const shown = new Map<number, HTMLElement>();
const pending = new Map<string, HTMLElement>();

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

function button(text: string, onClick: () => unknown, cls = ''): HTMLButtonElement {
  const b = el('button', cls, text);
  b.type = 'button';
  b.addEventListener('click', () => void run(onClick));
  return b;
}

let errorTimer: ReturnType<typeof setTimeout> | undefined;
function showError(e: unknown): void {
  const box = $('error');
  box.textContent = e instanceof Error ? e.message : String(e);
  box.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => {
    box.hidden = true;
  }, 8000);
}

async function run(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (e) {
    // invalid_code is a 401 too, but only a refused token means the session is gone
    if ((e as { code?: string }).code === 'unauthenticated') return signedOut();
    showError(e);
  }
}

function setStatus(text: string, cls: string): void {
  const s = $('status');
  s.textContent = text;
  s.className = `status ${cls}`;
}

function formatTime(at: number): { label: string; iso: string } {
  const d = new Date(at);
  const sameDay = d.toDateString() === new Date().toDateString();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return { label: sameDay ? time : `${d.toLocaleDateString()} ${time}`, iso: d.toISOString() };
}

// ---- sign-in ----

function showSignIn(): void {
  $('main').hidden = true;
  $('signout').hidden = true;
  $('whoami').textContent = '';
  setStatus('', '');
  $('signin').hidden = false;
  $('phone-form').hidden = false;
  $('code-form').hidden = true;
  input('phone').focus();
}

function signedOut(): void {
  client.close();
  client.token = undefined;
  localStorage.removeItem(TOKEN_KEY);
  selected = undefined;
  showSignIn();
}

$('phone-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void run(async () => {
    const phone = input('phone').value.trim();
    const r = await client.requestCode(phone);
    $('code-hint').textContent =
      `We texted a code to ${phone}. It is valid for ${Math.round(r.expiresIn / 60)} min.`;
    $('phone-form').hidden = true;
    $('code-form').hidden = false;
    input('code').value = '';
    input('code').focus();
  });
});

$('code-back').addEventListener('click', () => showSignIn());

$('code-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void run(async () => {
    const r = await client.signIn(input('phone').value.trim(), input('code').value.trim());
    localStorage.setItem(TOKEN_KEY, r.token);
    await showMain();
  });
});

$('signout').addEventListener('click', () => {
  void client.signOut().catch(() => {});
  signedOut();
});

// ---- groups and invitations ----

async function refreshGroups(): Promise<void> {
  const r = await client.groups();
  groups = new Map(r.groups.map((g) => [g.id, g]));
  renderGroups();
  const list = $('invitations');
  list.replaceChildren();
  for (const inv of r.invitations) {
    const li = el('li', 'row');
    const text = el('div', 'grow');
    text.append(
      el('strong', '', inv.name),
      el('div', 'hint', inv.invitedBy ? `from ${inv.invitedBy}` : inv.address),
    );
    const accept = button('Accept', async () => {
      await client.join(inv.groupId);
      await refreshGroups();
      await select(inv.groupId);
    });
    li.append(
      text,
      accept,
      button('Decline', () => client.decline(inv.groupId).then(refreshGroups), 'secondary'),
    );
    list.append(li);
  }
  $('invites-card').hidden = r.invitations.length === 0;
  if (selected !== undefined && !groups.has(selected)) closeChat();
}

function renderGroups(): void {
  const list = $('groups');
  list.replaceChildren();
  for (const g of groups.values()) {
    const li = el('li', g.id === selected ? 'row selected' : 'row');
    const name = el('button', 'link grow', g.name);
    name.type = 'button';
    name.addEventListener('click', () => void run(() => select(g.id)));
    li.append(name);
    const n = unread.get(g.id) ?? 0;
    if (n > 0) li.append(el('span', 'badge', String(n)));
    list.append(li);
  }
  $('no-groups').hidden = groups.size > 0;
  const total = [...unread.values()].reduce((a, b) => a + b, 0);
  document.title = total > 0 ? `(${total}) Qun` : 'Qun';
}

$('create-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void run(async () => {
    const g = await client.createGroup(input('create-name').value.trim());
    input('create-name').value = '';
    await refreshGroups();
    await select(g.id);
  });
});

// ---- chat ----

async function select(id: number): Promise<void> {
  const g = groups.get(id);
  if (!g) return;
  selected = id;
  unread.delete(id);
  renderGroups();
  $('main').classList.add('chatting');
  $('chat-empty').hidden = true;
  $('chat-view').hidden = false;
  $('chat-name').textContent = g.name;
  $('chat-address').textContent = `SMS address ${g.address}`;
  $('invite-result').textContent = '';
  $('messages').replaceChildren();
  shown.clear();
  pending.clear();
  const page = await client.messages(id, { after: Math.max(0, g.lastSeq - HISTORY), limit: HISTORY });
  if (selected !== id) return;
  for (const m of page.messages) showMessage(m);
  scrollDown(true);
  await loadMembers(id);
}

function closeChat(): void {
  selected = undefined;
  $('main').classList.remove('chatting');
  $('chat-view').hidden = true;
  $('chat-empty').hidden = false;
  renderGroups();
}

$('back').addEventListener('click', () => closeChat());

$('leave').addEventListener('click', () => {
  const g = selected === undefined ? undefined : groups.get(selected);
  if (!g || !confirm(`Leave ${g.name}?`)) return;
  void run(async () => {
    await client.leave(g.id);
    closeChat();
    await refreshGroups();
  });
});

async function loadMembers(id: number): Promise<void> {
  const r = await client.members(id);
  if (selected !== id) return;
  $('members').replaceChildren(
    // The name sits in its own <bdi>: a right-to-left override in it cannot flip the phone or role.
    ...r.members.map((m) => {
      const li = el('li', '', '');
      li.append(el('bdi', '', m.name ?? m.phone), `${m.name ? ` (${m.phone})` : ''} · ${m.role}`);
      return li;
    }),
  );
}

type Shown = { seq: number; from: { id: number; name: string }; body: string; at: number };

function showMessage(m: ApiMessage | WireMessage | Shown): void {
  if ('hidden' in m || shown.has(m.seq)) return;
  const li = el('li', m.from.id === me?.id ? 'msg mine' : 'msg');
  li.dataset['seq'] = String(m.seq);
  const meta = el('div', 'meta');
  const { label, iso } = formatTime(m.at);
  const time = el('time', '', label);
  time.dateTime = iso;
  meta.append(el('span', 'from', m.from.name), time);
  li.append(meta, el('p', 'body', m.body));
  // Keep seq order even when history arrives after live messages.
  const after = [...shown.entries()].filter(([s]) => s > m.seq).sort((a, b) => a[0] - b[0])[0];
  $('messages').insertBefore(li, after ? after[1] : null);
  shown.set(m.seq, li);
}

function scrollDown(force = false): void {
  const box = $('messages');
  if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 120) box.scrollTop = box.scrollHeight;
}

$('send-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const box = $<HTMLTextAreaElement>('send-body');
  const body = box.value;
  const g = selected;
  if (g === undefined || body.trim() === '') return;
  box.value = '';
  const cid = randomId();
  const li = el('li', 'msg mine pending');
  li.append(el('div', 'meta', 'sending…'), el('p', 'body', body));
  $('messages').append(li);
  pending.set(cid, li);
  scrollDown(true);
  // The client re-sends with the same cid after a reconnect, so a flaky network cannot post it twice.
  client.send(g, body, cid).then(
    (sent) => {
      li.remove();
      pending.delete(cid);
      if (selected === g && me)
        showMessage({ seq: sent.seq, from: { id: me.id, name: me.name ?? me.phone }, body, at: Date.now() });
    },
    (e: unknown) => {
      li.classList.add('failed');
      li.firstElementChild!.textContent = `not sent: ${e instanceof Error ? e.message : String(e)}`;
    },
  );
});

// Enter sends, Shift+Enter starts a new line.
$('send-body').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $<HTMLFormElement>('send-form').requestSubmit();
  }
});

$('invite-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const g = selected;
  if (g === undefined) return;
  void run(async () => {
    const phones = input('invite-phones')
      .value.split(/[\s,;]+/)
      .filter(Boolean);
    const r = await client.invite(g, phones);
    input('invite-phones').value = '';
    $('invite-result').textContent = describeInvite(r);
    await loadMembers(g);
  });
});

function describeInvite(r: InviteResult): string {
  const parts: [string, string[]][] = [
    ['invited', r.invited],
    ['added', r.added],
    ['already members', r.already],
    ['not valid numbers', r.invalid],
    ['refused: the group is full', r.refusedCap],
    ['opted out of texts', r.optedOut],
    ['too many invitations, try later', r.rateLimited],
  ];
  return parts
    .filter(([, p]) => p.length > 0)
    .map(([what, p]) => `${what}: ${p.join(', ')}`)
    .join('; ');
}

// ---- live ----

client.on('message', (m) => {
  const g = groups.get(m.g);
  if (g) g.lastSeq = Math.max(g.lastSeq, m.seq);
  if (m.cid && pending.has(m.cid)) {
    pending.get(m.cid)!.remove();
    pending.delete(m.cid);
  }
  if (m.g === selected) {
    showMessage(m);
    scrollDown(m.from.id === me?.id);
  } else {
    unread.set(m.g, (unread.get(m.g) ?? 0) + 1);
    renderGroups();
  }
});
client.on('ready', () => setStatus('live', 'live'));
client.on('group', () => void run(refreshGroups));
client.on('close', (e) => {
  if (e.code === 4001) return signedOut();
  setStatus(e.reconnecting ? 'reconnecting…' : 'offline', 'offline');
});

async function showMain(): Promise<void> {
  me = await client.me();
  $('signin').hidden = true;
  $('main').hidden = false;
  $('signout').hidden = false;
  $('whoami').replaceChildren(el('bdi', '', me.name ?? me.phone), me.name ? ` (${me.phone})` : '');
  await refreshGroups();
  setStatus('connecting…', 'offline');
  if (!client.connected) await client.connect();
}

if (client.token) void run(showMain);
else showSignIn();
