// The open group: head, the conversation (scrolls back page by page, "New messages" line, delivery ticks on
// own messages, failed sends with retry/discard), and the composer with its SMS encoding/segment counter.
import { html } from 'htm/preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { SmsCost, Trail } from '../../src/client/qun-client.ts';
import { analyze, MAX_PARTS } from '../../src/domain/sms/segments.ts';
import { formatTime, t } from './i18n.ts';
import {
  changed,
  client,
  closeGroup,
  discard,
  loadOlder,
  loadTrail,
  type Msg,
  retry,
  run,
  S,
  send,
  showTrail,
} from './state.ts';

/** A member counts as reached once a live client acked, the inbox was read, or a receipt came back. */
export function reached(trail: Trail, senderId: number): { n: number; m: number } {
  const others = trail.members.filter((x) => x.userId !== senderId);
  const n = others.filter((x) =>
    x.steps.some(
      (s) =>
        (s.rung === 'live' && s.outcome === 'acked') ||
        (s.rung === 'inbox' && s.outcome === 'fetched') ||
        (s.rung === 'sms' && s.outcome === 'delivered'),
    ),
  ).length;
  return { n, m: others.length };
}

function Ticks({ m }: { m: Msg }) {
  const trail = m.id ? S.trails.get(m.id) : undefined;
  const r = trail && S.me ? reached(trail, S.me.id) : undefined;
  const state = !r ? t('ticksStored') : r.n >= r.m ? t('ticksAll') : t('ticksSome', { n: r.n, m: r.m });
  const marks = !r || r.n === 0 ? '✓' : '✓✓';
  return html`<button type="button" class=${`ticks link${r && r.n >= r.m ? ' all' : ''}`}
    aria-label=${t('ticksLabel', { state })} title=${state}
    onClick=${() => m.id && void run(() => showTrail(m.id!))}>${marks}</button>`;
}

function Message({ m, mine }: { m: Msg; mine: boolean }) {
  const cls = `msg${mine ? ' mine' : ''}${m.state === 'pending' ? ' pending' : ''}${m.state === 'failed' ? ' pending failed' : ''}`;
  return html`<li class=${cls} data-seq=${m.seq}>
    <div class="meta"><span class="from"><bdi>${m.from.name}</bdi></span>
      ${m.state === 'ok' && html`<time datetime=${new Date(m.at).toISOString()}>${formatTime(m.at)}</time>`}
      ${m.state === 'pending' && html`<span>${t('sending')}</span>`}
      ${m.state === 'failed' && html`<span class="why">${t('notSent', { why: m.error ?? '' })}</span>`}
      ${mine && m.state === 'ok' && html`<${Ticks} m=${m} />`}
      ${!mine && m.via && html`<span class="mark via">${t(m.via === 'sms' ? 'viaSms' : 'viaInbox')}</span>`}
    </div>
    <p class="body">${m.body}</p>
    ${
      m.state === 'failed' &&
      html`<div class="row">
      <button type="button" class="retry" onClick=${() => retry(m.cid!)}>${t('retry')}</button>
      <button type="button" class="secondary discard" onClick=${() => discard(m.cid!)}>${t('discard')}</button></div>`
    }
  </li>`;
}

/** What the message would cost members who get it by SMS now, asked of the server (policy, budget, presence). */
function useSmsCost(groupId: number, body: string, urgent: boolean): SmsCost | undefined {
  const [cost, setCost] = useState<SmsCost | undefined>(undefined);
  useEffect(() => {
    if (body.trim() === '') {
      setCost(undefined);
      return;
    }
    let live = true;
    // Asked once typing pauses: a preview, not a keystroke-by-keystroke request.
    const timer = setTimeout(() => {
      client.smsCost(groupId, body, urgent).then(
        (c) => live && setCost(c),
        () => live && setCost(undefined),
      );
    }, 400);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [groupId, body, urgent]);
  return cost;
}

function Composer({ groupId }: { groupId: number }) {
  const [body, setBody] = useState('');
  const [urgent, setUrgent] = useState(false);
  const a = analyze(body);
  const g = S.groups.get(groupId);
  const canUrgent = g?.role === 'owner' || g?.role === 'admin';
  const cost = useSmsCost(groupId, body, urgent && canUrgent);
  const submit = () => {
    if (body.trim() === '') return;
    send(groupId, body, undefined, urgent && canUrgent);
    setBody('');
    setUrgent(false);
  };
  return html`<form id="send-form" class="send" onSubmit=${(e: Event) => {
    e.preventDefault();
    submit();
  }}>
    <label for="send-body" class="sr-only">${t('message')}</label>
    <textarea id="send-body" rows="2" placeholder=${t('message')} maxlength="2000" value=${body}
      aria-describedby="counter"
      onInput=${(e: Event) => setBody((e.target as HTMLTextAreaElement).value)}
      onKeyDown=${(e: KeyboardEvent) => {
        // Enter sends, Shift+Enter starts a new line.
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          submit();
        }
      }}></textarea>
    ${
      canUrgent &&
      html`<label class="urgent"><input type="checkbox" id="send-urgent" checked=${urgent}
        onChange=${(e: Event) => setUrgent((e.target as HTMLInputElement).checked)} /> ${t('urgent')}</label>`
    }
    <button type="submit">${t('send')}</button>
    <p id="counter" class="hint counter" aria-live="polite">${
      body === ''
        ? ''
        : a.segments > MAX_PARTS
          ? t('counterLong', { max: MAX_PARTS })
          : t('counter', {
              n: [...body].length,
              enc: a.encoding === 'gsm7' ? t('encGsm') : t('encUcs'),
              parts: a.segments,
            })
    }${
      body !== '' && cost
        ? ` · ${t('smsCostNow', { members: cost.textedNow, segments: cost.segmentsNow })}${
            cost.heldForLater > 0 ? ` · ${t('smsCostHeld', { members: cost.heldForLater })}` : ''
          }`
        : ''
    }</p>
  </form>`;
}

export function Chat() {
  const g = S.groups.get(S.selected!)!;
  const box = useRef<HTMLOListElement>(null);
  const seqs = [...S.msgs.keys()].sort((a, b) => a - b);
  const pending = [...S.pending.values()].filter((p) => p.groupId === g.id);
  const meId = S.me?.id;

  useLayoutEffect(() => {
    const el = box.current;
    const want = S.scroll;
    if (!el || !want) return;
    S.scroll = undefined;
    if (want.kind === 'keep') el.scrollTop = el.scrollHeight - want.height + want.top;
    else if (want.kind === 'unread') el.querySelector('#unread-line')?.scrollIntoView({ block: 'start' });
    else if (want.force || el.scrollHeight - el.scrollTop - el.clientHeight < 200)
      el.scrollTop = el.scrollHeight;
  });
  // Delivery ticks for the latest own messages: their trails, again a little later as deliveries complete.
  const own = seqs
    .map((s) => S.msgs.get(s)!)
    .filter((m) => m.from.id === meId && m.id)
    .slice(-10);
  const ownKey = own.map((m) => m.id).join(',');
  useEffect(() => {
    const ids = own.map((m) => m.id!);
    const load = () => ids.forEach((id) => void loadTrail(id).catch(() => {}));
    load();
    const timers = [2000, 8000, 30000].map((ms) => setTimeout(load, ms));
    return () => timers.forEach(clearTimeout);
  }, [ownKey]);

  return html`<div id="chat-view">
    <div class="chat-head">
      <button type="button" id="back" class="secondary small narrow-only" onClick=${closeGroup}>‹ ${t('backToGroups')}</button>
      <div class="grow"><h2 id="chat-name"><bdi>${g.name}</bdi></h2>
        <p id="chat-address" class="hint">${t('smsAddress', { address: g.address })}</p></div>
      <button type="button" id="people-open" class="secondary small" aria-expanded=${S.panel === 'people'} onClick=${() => {
        S.panel = S.panel === 'people' ? undefined : 'people';
        changed();
      }}>${t('members')}</button>
    </div>
    <ol id="messages" class="messages" ref=${box} aria-live="polite" aria-relevant="additions" aria-label=${g.name} tabindex="0"
      onScroll=${(e: Event) => {
        const el = e.target as HTMLElement;
        if (el.scrollTop < 80 && S.hasOlder && !S.loadingOlder) void run(() => loadOlder(el));
      }}>
      <li class="older">${
        S.hasOlder
          ? html`<button type="button" id="older" class="link" disabled=${S.loadingOlder}
              onClick=${() => void run(() => loadOlder(box.current!))}>${S.loadingOlder ? t('loadingOlder') : t('older')}</button>`
          : html`<span class="hint" id="history-start">${t('historyStart')}</span>`
      }</li>
      ${seqs.map((s) => {
        const m = S.msgs.get(s)!;
        const line =
          s === S.firstUnread
            ? html`<li id="unread-line" class="unread-line" key="unread"><span>${t('newMessages')}</span></li>`
            : null;
        return [line, html`<${Message} key=${s} m=${m} mine=${m.from.id === meId} />`];
      })}
      ${pending.map((p) => html`<${Message} key=${p.cid} m=${p} mine=${true} />`)}
    </ol>
    <${Composer} groupId=${g.id} />
  </div>`;
}

export { client };
