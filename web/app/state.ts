// The web app's state and the actions that change it: sign-in, groups and their unread counts (the
// server's read cursor), the open group's messages (paged history + live frames, one entry per seq),
// sends that can fail, be retried with the same client id, or be discarded.
import {
  type ApiMessage,
  type GroupState,
  type Invitation,
  type Member,
  QunClient,
  randomId,
  type Trail,
} from '../../src/client/qun-client.ts';
import { initLang, type Lang } from './i18n.ts';

const TOKEN_KEY = 'qun.token';
export const PAGE = 50;
const SEND_TIMEOUT_MS = 15_000;

export type Msg = {
  seq: number | undefined;
  id: string | undefined;
  cid: string | undefined;
  from: { id: number; name: string };
  body: string;
  at: number;
  state: 'ok' | 'pending' | 'failed';
  error?: string;
  /** It reached this member by text or inbox first: shown as history, never counted as news. */
  via?: 'sms' | 'inbox' | undefined;
};

function storedToken(): string | undefined {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export const client = new QunClient({ baseUrl: location.origin, token: storedToken() });

export const S = {
  lang: initLang() as Lang,
  me: undefined as { id: number; phone: string; name: string | null } | undefined,
  signedIn: client.token !== undefined,
  status: 'connecting' as 'connecting' | 'live' | 'reconnecting' | 'offline',
  error: '',
  groups: new Map<number, GroupState>(),
  invitations: [] as Invitation[],
  selected: undefined as number | undefined,
  /** The open group's messages by seq. */
  msgs: new Map<number, Msg>(),
  /** Sends not yet confirmed (or failed), by client id. */
  pending: new Map<string, Msg & { groupId: number }>(),
  oldest: 0,
  hasOlder: false,
  loadingOlder: false,
  /** First unread seq when the group was opened (the "New messages" line). */
  firstUnread: 0,
  members: [] as Member[],
  trails: new Map<string, Trail>(),
  panel: undefined as 'people' | 'settings' | 'trail' | undefined,
  trailFor: undefined as string | undefined,
  /** The open delivery view is fetching its message's trail (what it shows may be older). */
  trailBusy: false,
  /** What the chat should do with its scroll position after the next render. */
  scroll: undefined as
    | undefined
    | { kind: 'bottom'; force?: boolean }
    | { kind: 'unread' }
    | { kind: 'keep'; height: number; top: number },
};

let listener: (() => void) | undefined;
let queued = false;
export function onChange(fn: () => void): void {
  listener = fn;
}
/** Re-renders once per turn however many changes a frame burst makes. */
export function changed(): void {
  if (queued) return;
  queued = true;
  queueMicrotask(() => {
    queued = false;
    listener?.();
  });
}

export function fail(e: unknown): void {
  if ((e as { code?: string }).code === 'unauthenticated') {
    signedOut();
    return;
  }
  S.error = e instanceof Error ? e.message : String(e);
  changed();
}

export async function run(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (e) {
    fail(e);
  }
}

/** The server's count: messages after this member's read cursor; own messages are not news. */
export function unreadOf(g: GroupState): number {
  return Math.max(0, g.lastSeq - g.readSeq);
}

export function signedOut(): void {
  client.close();
  client.token = undefined;
  try {
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    // nothing stored
  }
  Object.assign(S, { signedIn: false, me: undefined, selected: undefined, panel: undefined, error: '' });
  S.groups.clear();
  changed();
}

export async function signIn(phone: string, code: string): Promise<void> {
  const r = await client.signIn(phone, code);
  localStorage.setItem(TOKEN_KEY, r.token);
  S.signedIn = true;
  S.error = '';
  await start();
}

export async function refreshGroups(): Promise<void> {
  const r = await client.groups();
  S.groups = new Map(r.groups.map((g) => [g.id, g]));
  S.invitations = r.invitations;
  if (S.selected !== undefined && !S.groups.has(S.selected)) closeGroup();
  changed();
}

function toMsg(m: ApiMessage): Msg | undefined {
  if ('hidden' in m) return undefined;
  return {
    seq: m.seq,
    id: m.id,
    cid: (m as { cid?: string }).cid,
    from: m.from,
    body: m.body,
    at: m.at,
    state: 'ok',
    via: (m as { via?: 'sms' | 'inbox' }).via,
  };
}

function put(m: Msg): void {
  if (m.seq === undefined) return;
  S.msgs.set(m.seq, m);
  if (m.cid) S.pending.delete(m.cid);
}

/** Opens a group at its first unread message (or the end), with one page of history before it. */
export async function openGroup(id: number, scrollTo: 'unread' | 'bottom' = 'unread'): Promise<void> {
  const g = S.groups.get(id);
  if (!g) return;
  Object.assign(S, { selected: id, panel: undefined, members: [], hasOlder: false });
  S.msgs = new Map();
  S.firstUnread = g.readSeq < g.lastSeq ? g.readSeq + 1 : 0;
  const after = Math.max(0, Math.min(g.lastSeq - PAGE, g.readSeq - 5));
  S.oldest = after + 1;
  const page = await client.messages(id, { after, limit: Math.min(500, Math.max(1, g.lastSeq - after)) });
  if (S.selected !== id) return;
  let hidden = false;
  for (const m of page.messages) {
    const x = toMsg(m);
    if (x) put(x);
    else hidden = true;
  }
  S.hasOlder = after > 0 && !hidden;
  S.scroll = S.firstUnread && scrollTo === 'unread' ? { kind: 'unread' } : { kind: 'bottom', force: true };
  changed();
  await markRead(id);
  void loadMembers(id);
}

export function closeGroup(): void {
  S.selected = undefined;
  S.panel = undefined;
  changed();
}

/** The page before the oldest one shown; stops at the start of the log or of this member's membership. */
export async function loadOlder(box: { scrollHeight: number; scrollTop: number }): Promise<void> {
  const id = S.selected;
  if (id === undefined || !S.hasOlder || S.loadingOlder) return;
  S.loadingOlder = true;
  changed();
  try {
    const after = Math.max(0, S.oldest - 1 - PAGE);
    const page = await client.messages(id, { after, limit: S.oldest - 1 - after });
    if (S.selected !== id) return;
    let hidden = false;
    for (const m of page.messages) {
      const x = toMsg(m);
      if (x) put(x);
      else hidden = true;
    }
    S.oldest = after + 1;
    S.hasOlder = after > 0 && !hidden;
    S.scroll = { kind: 'keep', height: box.scrollHeight, top: box.scrollTop };
  } finally {
    S.loadingOlder = false;
    changed();
  }
}

/** Moves the read cursor to the end of what is shown: the count then agrees on every device and reload. */
export async function markRead(id: number): Promise<void> {
  const g = S.groups.get(id);
  if (!g || g.readSeq >= g.lastSeq || document.visibilityState !== 'visible') return;
  const seq = g.lastSeq;
  await client.markRead(id, seq);
  g.readSeq = Math.max(g.readSeq, seq);
  changed();
}

export async function loadMembers(id: number): Promise<void> {
  const r = await client.members(id);
  if (S.selected === id) {
    S.members = r.members;
    changed();
  }
}

/** Posts over HTTP with a client id: a retry after a lost answer is stored once and answered with the same seq. */
export function send(groupId: number, body: string, cid = randomId(), urgent = false): void {
  const me = S.me!;
  const m = {
    seq: undefined,
    id: undefined,
    cid,
    from: { id: me.id, name: me.name ?? me.phone },
    body,
    at: Date.now(),
    state: 'pending' as const,
    groupId,
  };
  S.pending.set(cid, m);
  S.scroll = { kind: 'bottom', force: true };
  changed();
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('no answer from the server')), SEND_TIMEOUT_MS),
  );
  Promise.race([client.postMessage(groupId, body, cid, urgent), timeout]).then(
    (r) => {
      const g = S.groups.get(groupId);
      if (g) {
        g.lastSeq = Math.max(g.lastSeq, r.seq);
        // One's own message is read by definition.
        if (g.readSeq === r.seq - 1)
          void client.markRead(groupId, r.seq).then(() => (g.readSeq = Math.max(g.readSeq, r.seq)));
      }
      if (!S.pending.has(cid)) return; // the live frame confirmed it first
      S.pending.delete(cid);
      if (S.selected === groupId) put({ ...m, seq: r.seq, id: r.id, at: r.createdAt, state: 'ok' });
      changed();
    },
    (e: unknown) => {
      if ((e as { code?: string }).code === 'unauthenticated') return signedOut();
      const p = S.pending.get(cid);
      if (!p) return;
      p.state = 'failed';
      p.error = e instanceof Error ? e.message : String(e);
      changed();
    },
  );
}

export function retry(cid: string): void {
  const p = S.pending.get(cid);
  if (!p) return;
  send(p.groupId, p.body, cid);
}

export function discard(cid: string): void {
  S.pending.delete(cid);
  changed();
}

export async function showTrail(msgId: string): Promise<void> {
  S.trailFor = msgId;
  S.panel = 'trail';
  await loadTrail(msgId);
}

// Trail answers can come back out of order (the ticks' timed reloads race the open view's refresh):
// only an answer to a later request than the one shown replaces it, so the view never steps back.
let trailAsks = 0;
const trailAsked = new Map<string, number>();
const trailShown = new Map<string, number>();

/** Fetches a message's trail; while it is the open delivery view's, the view says it is refreshing. */
export async function loadTrail(msgId: string): Promise<void> {
  const ask = ++trailAsks;
  trailAsked.set(msgId, ask);
  const open = () => S.panel === 'trail' && S.trailFor === msgId;
  if (open()) {
    S.trailBusy = true;
    changed();
  }
  try {
    const trail = await client.trail(msgId);
    if (ask > (trailShown.get(msgId) ?? 0)) {
      trailShown.set(msgId, ask);
      S.trails.set(msgId, trail);
    }
  } finally {
    if (open() && ask === trailAsked.get(msgId)) S.trailBusy = false;
    changed();
  }
}

export async function start(): Promise<void> {
  S.me = await client.me();
  await refreshGroups();
  S.status = 'connecting';
  changed();
  // The page works over HTTP while the live connection comes up (or never does, behind a hostile proxy).
  if (!client.connected)
    client.connect().catch((e: unknown) => {
      if ((e as { code?: string }).code !== 'closed') fail(e);
    });
}

client.on('message', (w) => {
  const g = S.groups.get(w.g);
  if (g) {
    g.lastSeq = Math.max(g.lastSeq, w.seq);
    // Own messages, and messages that reached this member by text or inbox first (`via`), are not news.
    if ((w.from.id === S.me?.id || w.via) && g.readSeq === w.seq - 1) g.readSeq = w.seq;
  }
  // A frame older than the page shown is catch-up of history (the member's own messages from another
  // device, say): scrolling back loads it, so the view stays one page instead of growing by the backlog.
  if (w.g === S.selected && w.seq >= S.oldest) {
    put({ seq: w.seq, id: w.id, cid: w.cid, from: w.from, body: w.body, at: w.at, state: 'ok', via: w.via });
    S.scroll ??= { kind: 'bottom' };
    void markRead(w.g).catch(() => {});
  } else if (w.cid) S.pending.delete(w.cid);
  changed();
});
client.on('ready', () => {
  S.status = 'live';
  changed();
});
client.on('group', (f) => {
  if (f.event === 'renamed' && f.name !== undefined) {
    const g = S.groups.get(f.g);
    if (g) g.name = f.name;
  }
  if (f.event === 'members' && f.g === S.selected) void run(() => loadMembers(f.g));
  else void run(refreshGroups);
  if (f.event !== 'members') changed();
});
client.on('close', (e) => {
  if (e.code === 4001) return signedOut();
  S.status = e.reconnecting ? 'reconnecting' : 'offline';
  changed();
});
// Another device may have read meanwhile: the counts are the server's again when the page comes back.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || !S.signedIn || !S.me) return;
  void run(async () => {
    await refreshGroups();
    if (S.selected !== undefined) await markRead(S.selected);
  });
});
