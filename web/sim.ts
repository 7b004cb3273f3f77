// The /sim page: simulated phones side by side with their texts (polled every 2 s), and a form to text
// the service as any number. User text reaches the DOM through textContent only.
// @ts-expect-error -- the browser resolves the served path; tsc gets the types from the import below
import { QunClient as ServedClient } from '/assets/qun-client.js';
import type { QunClient as QunClientType, SimText } from '../src/client/qun-client.ts';

const QunClient = ServedClient as typeof QunClientType;
const POLL_MS = 2000;
const WATCH_KEY = 'qun.sim.watch';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const field = (id: string) => $<HTMLInputElement>(id);
const api = new QunClient({ baseUrl: location.origin });

interface Card {
  root: HTMLElement;
  count: HTMLElement;
  screen: HTMLOListElement;
  replyTo: HTMLInputElement;
  /** Summary the texts were last fetched for: refetch only when it changes. */
  seen: string;
}
const cards = new Map<string, Card>();
const watched = new Set<string>(JSON.parse(localStorage.getItem(WATCH_KEY) ?? '[]') as string[]);
let serviceNumber = '';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text) e.textContent = text;
  return e;
}

/** Whether the error shown is the poll's own (server unreachable): only that one clears when polling works again. */
let pollError = false;

function showError(e: unknown, fromPoll = false): void {
  pollError = fromPoll;
  const box = $('error');
  box.textContent = e instanceof Error ? e.message : String(e);
  box.hidden = false;
}

function labelled(text: string, control: HTMLElement): HTMLLabelElement {
  const l = el('label', '', text);
  l.append(control);
  return l;
}

function card(phone: string): Card {
  const existing = cards.get(phone);
  if (existing) return existing;
  const root = el('article', 'phone');
  const head = el('header', 'phone-head');
  const count = el('span', 'hint');
  head.append(el('strong', '', phone), count);
  if (watched.has(phone)) {
    const remove = el('button', 'secondary small', '×');
    remove.type = 'button';
    remove.title = 'Stop showing this phone';
    remove.addEventListener('click', () => {
      watched.delete(phone);
      localStorage.setItem(WATCH_KEY, JSON.stringify([...watched]));
      root.remove();
      cards.delete(phone);
    });
    head.append(remove);
  }
  const screen = el('ol', 'screen');
  // Reply from this phone: prefilled with whoever texted it last, which is how people answer invitations.
  const form = el('form', 'reply');
  const replyTo = el('input');
  replyTo.required = true;
  replyTo.inputMode = 'tel';
  replyTo.value = serviceNumber;
  const text = el('input');
  text.required = true;
  text.placeholder = 'Y, LIST, a message…';
  const send = el('button', '', 'Send');
  send.type = 'submit';
  form.append(labelled('To', replyTo), labelled('Text', text), send);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void sendText(phone, replyTo.value.trim(), text.value).then((ok) => {
      if (ok) text.value = '';
    });
  });
  const useAs = el('button', 'secondary small', 'Use as sender above');
  useAs.type = 'button';
  useAs.addEventListener('click', () => {
    field('from').value = phone;
    field('text').focus();
  });
  root.append(head, screen, form, useAs);
  const c: Card = { root, count, screen, replyTo, seen: '' };
  cards.set(phone, c);
  const list = $('phones');
  // Stable order, so cards do not jump around while someone reads them.
  const next = [...cards.keys()].sort().find((p) => p > phone);
  list.insertBefore(root, next ? cards.get(next)!.root : null);
  $('no-phones').hidden = true;
  return c;
}

function renderTexts(phone: string, c: Card, texts: SimText[]): void {
  const atBottom = c.screen.scrollHeight - c.screen.scrollTop - c.screen.clientHeight < 40;
  c.screen.replaceChildren(
    ...texts.map((t) => {
      const mine = t.from === phone;
      const li = el('li', mine ? 'text out' : 'text in');
      const when = new Date(t.at);
      const meta = el('div', 'meta', `${mine ? `to ${t.to}` : `from ${t.from}`} · `);
      const time = el(
        'time',
        '',
        when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
      );
      time.dateTime = Number.isNaN(when.getTime()) ? '' : when.toISOString();
      meta.append(time);
      li.append(meta, el('p', 'body', t.text));
      return li;
    }),
  );
  c.count.textContent = `${texts.length} text${texts.length === 1 ? '' : 's'}`;
  const lastIn = texts.findLast((t) => t.from !== phone);
  if (lastIn && document.activeElement !== c.replyTo) c.replyTo.value = lastIn.from;
  if (atBottom || c.seen === '') c.screen.scrollTop = c.screen.scrollHeight;
}

async function poll(): Promise<void> {
  const { phones } = await api.simPhones();
  const summary = new Map(phones.map((p) => [p.phone, `${p.texts}:${p.lastAt}`]));
  for (const w of watched) if (!summary.has(w)) summary.set(w, 'watched');
  await Promise.all(
    [...summary].map(async ([phone, seen]) => {
      const c = card(phone);
      if (c.seen === seen && seen !== 'watched') return;
      const { messages } = await api.simTexts(phone);
      renderTexts(phone, c, messages);
      c.seen = seen;
    }),
  );
}

async function sendText(from: string, to: string, text: string): Promise<boolean> {
  try {
    await api.simSend(from, to, text);
    card(from);
    await poll();
    return true;
  } catch (e) {
    showError(e);
    return false;
  }
}

async function loop(): Promise<void> {
  const status = $('status');
  try {
    await poll();
    status.textContent = 'live';
    status.className = 'status live';
    // A refused text's error stays until the next send; a working poll clears only its own complaint.
    if (pollError) $('error').hidden = true;
    pollError = false;
  } catch (e) {
    status.textContent = 'cannot reach the server';
    status.className = 'status offline';
    if ((e as { status?: number }).status === 404)
      showError('The simulator is off: start Qun in simulator mode.', true);
  }
  setTimeout(() => void loop(), POLL_MS);
}

async function loadInfo(): Promise<void> {
  const info = await api.simInfo();
  serviceNumber = info.serviceNumber;
  field('to').value ||= info.serviceNumber;
  for (const c of cards.values()) c.replyTo.value ||= info.serviceNumber;
  const example = info.appNumbers[0];
  $('address-hint').textContent =
    `Text the service number ${info.serviceNumber} for commands (HELP, CREATE name, LIST). ` +
    "A group's address is the service number + the app number + the group number" +
    (example
      ? `, e.g. ${info.serviceNumber} + ${example.appNumber} + 1234 = ${info.serviceNumber}${example.appNumber}1234.`
      : '.') +
    ' App numbers:';
  $('app-numbers').replaceChildren(...info.appNumbers.map((a) => el('li', '', `${a.appNumber}: ${a.kind}`)));
}

$('send-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void sendText(
    field('from').value.trim(),
    field('to').value.trim(),
    $<HTMLTextAreaElement>('text').value,
  ).then((ok) => {
    if (ok) $<HTMLTextAreaElement>('text').value = '';
  });
});

$('watch-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const phone = field('watch').value.trim();
  if (!phone) return;
  watched.add(phone);
  localStorage.setItem(WATCH_KEY, JSON.stringify([...watched]));
  field('watch').value = '';
  card(phone).root.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  void poll().catch(showError);
});

for (const w of watched) card(w);
loadInfo().catch(showError);
void loop();
