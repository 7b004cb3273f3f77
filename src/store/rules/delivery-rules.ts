// The delivery rules both store engines apply: a fall-back route, a live ack or inbox fetch settling a
// member's cursors, and an inbox pull taking over texts still queued. Pure: each takes the membership
// row as read inside the engine's transaction and returns what to write; the engine keeps only SQL.
import type { FallbackRoute, NewOutbound, TrailEntry } from '../store.ts';
import { CANCEL_REASON } from './cancel-rules.ts';

/** The per-member delivery columns of `memberships`, as both engines read them. */
export interface CursorRow {
  state: string;
  acked_seq: number;
  fetched_seq: number;
  routed_seq: number;
  shown_seq: number;
  inbox_upto: number;
  reminder_due_at: number | null;
  escalate_at: number | null;
}

/** The columns a route or a settle writes back. */
export interface CursorWrite {
  acked_seq: number;
  fetched_seq: number;
  routed_seq: number;
  inbox_upto: number;
  reminder_due_at: number | null;
  escalate_at: number | null;
  updated_at: number;
}

const OUTCOME: Record<FallbackRoute['rung'], string> = {
  inbox: 'waiting',
  sms: 'sms_queued',
  none: 'skipped',
};

export interface RoutePlan {
  cursor: CursorWrite;
  trail: TrailEntry | null;
  /** Texts to queue (the queue's own uniqueness still drops a group message already texted). */
  texts: NewOutbound[];
}

/** Moves the inbox's upper end and arms its reminder unless one is already pending. */
function extendInbox(c: CursorWrite, upTo: number, dueAt: number | null): void {
  c.inbox_upto = Math.max(c.inbox_upto, upTo);
  c.reminder_due_at ??= dueAt;
}

/**
 * The part of a route past what is already decided. routed_seq covers only decided seqs (a fall-back
 * route, an ack, the sender's own append), so a route over seqs at or below it comes second: with several
 * nodes, the sweep, a restarted node's recovery or another node's fall-through got there first. Writing it
 * would put a second decision for the same seqs in the trail (its texts the queue drops anyway). Only an
 * escalation re-decides on purpose: it texts what the inbox was holding.
 */
function undecidedPart(m: CursorRow, r: FallbackRoute): FallbackRoute | null {
  if (r.escalation || m.routed_seq <= r.seqFrom) return r;
  if (m.routed_seq >= r.seqTo) return null;
  const from = m.routed_seq;
  return { ...r, seqFrom: from, sms: r.sms.filter((o) => o.seq === null || o.seq > from) };
}

const writable = (m: CursorRow, at: number): CursorWrite => ({
  acked_seq: m.acked_seq,
  fetched_seq: m.fetched_seq,
  routed_seq: m.routed_seq,
  inbox_upto: m.inbox_upto,
  reminder_due_at: m.reminder_due_at,
  escalate_at: m.escalate_at,
  updated_at: at,
});

/**
 * A fall-back route for one member; null when there is nothing to write: the member is gone (removed
 * between decision and write), or the whole range was already decided.
 */
export function planRoute(
  m: CursorRow | undefined,
  route: FallbackRoute,
  reminderDelayMs: number,
): RoutePlan | 'held' | null {
  if (m?.state !== 'active') return null;
  if (route.afterEarlier && Math.max(m.routed_seq, m.acked_seq) < route.seqFrom) return 'held';
  const r = undecidedPart(m, route);
  if (!r) return null;
  const cursor = writable(m, r.at);
  // routed_seq only grows over a contiguous range, so a hole (a live range still awaiting its ack) is
  // found again by crash recovery instead of being skipped.
  if (Math.max(m.routed_seq, m.acked_seq) >= r.seqFrom) cursor.routed_seq = Math.max(m.routed_seq, r.seqTo);
  // Only a range that adds to the inbox arms a reminder: one the member has already seen (acked, or
  // fetched while this route was on its way) would remind of nothing, and one already in the inbox was
  // reminded of (or still is) with it — arming again would remind of the same range twice.
  if (r.rung === 'inbox' && r.seqTo > Math.max(m.acked_seq, m.fetched_seq, m.inbox_upto))
    extendInbox(cursor, r.seqTo, r.reminderDueAt);
  // Decided a turn ago: what the member acked live or fetched since then is not texted, and what an
  // inbox pull has already shown stays with the inbox (and its reminder) rather than going twice. An
  // escalation texts even what was shown, since nobody confirmed it.
  const seen = Math.max(m.acked_seq, m.fetched_seq);
  const shown = r.escalation ? 0 : m.shown_seq;
  if (r.sms.some((o) => o.seq !== null && o.seq > seen && o.seq <= shown))
    extendInbox(cursor, shown, r.at + reminderDelayMs);
  // 'none' only moves the cursor: the trail shows the sender and hidden messages from the log itself.
  const trail: TrailEntry | null =
    r.rung === 'none'
      ? null
      : {
          groupId: r.groupId,
          userId: r.userId,
          seqFrom: r.seqFrom,
          seqTo: r.seqTo,
          rung: r.rung,
          outcome: OUTCOME[r.rung],
          reason: r.reason,
          at: r.at,
        };
  const texts = r.sms.filter((o) => o.seq === null || o.seq > Math.max(seen, shown));
  return { cursor, trail, texts };
}

export type SettleCursor = 'acked_seq' | 'fetched_seq';

export interface SettlePlan {
  cursor: CursorWrite;
  /**
   * The event itself, for the trail: live/acked or inbox/confirmed over the range this settle newly
   * covers; null when it covers nothing new. Written by the ack or fetch, never derived from cursors.
   */
  trail: TrailEntry[];
  /** Queued group texts up to this seq are cancelled, with this reason. */
  cancelUpTo: number;
  reason: string;
}

/**
 * A live ack or an inbox fetch up to `seq`: the cursor and routed_seq advance (never past the end of the
 * log: an ack beyond it would silence the member), a settled inbox drops its reminder and escalation,
 * and texts not yet handed to the gateway are cancelled. Null for a member who is not active.
 */
/** The range a settle newly covers: what the caller asks the engine for texts already handed over. */
export function settleRange(m: CursorRow, lastSeq: number, which: SettleCursor, seq: number) {
  // An ack records what live clients newly hold; a confirmation what the inbox newly delivered (what a
  // live ack already covered was not the inbox's to deliver).
  const from = which === 'acked_seq' ? m.acked_seq : Math.max(m.fetched_seq, m.acked_seq);
  return { from, to: Math.min(seq, lastSeq) };
}

/** (from, to] without the given seqs, as contiguous (from, to] pieces. */
export function splitAround(from: number, to: number, holes: Iterable<number>): [number, number][] {
  const out: [number, number][] = [];
  let start = from;
  for (const h of [...new Set(holes)].filter((x) => x > from && x <= to).sort((a, b) => a - b)) {
    if (h - 1 > start) out.push([start, h - 1]);
    start = h;
  }
  if (to > start) out.push([start, to]);
  return out;
}

/**
 * `texted`: seqs in the newly covered range whose text was already handed to the gateway. An inbox
 * confirmation does not claim them (the inbox hid them; the text delivered them).
 */
export function planSettle(
  m: CursorRow | undefined,
  lastSeq: number,
  which: SettleCursor,
  seq: number,
  now: number,
  ids?: { groupId: number; userId: number },
  texted: Iterable<number> = [],
): SettlePlan | null {
  if (m?.state !== 'active') return null;
  const cursor = writable(m, now);
  const upTo = Math.min(seq, lastSeq);
  const range = settleRange(m, lastSeq, which, seq);
  const trail: TrailEntry[] = ids
    ? splitAround(range.from, range.to, which === 'fetched_seq' ? texted : []).map(([seqFrom, seqTo]) => ({
        ...ids,
        seqFrom,
        seqTo,
        rung: which === 'acked_seq' ? 'live' : 'inbox',
        outcome: which === 'acked_seq' ? 'acked' : 'confirmed',
        reason:
          which === 'acked_seq'
            ? 'acknowledged by a live client'
            : 'the inbox answer that showed it was confirmed',
        at: now,
      }))
    : [];
  cursor[which] = Math.max(m[which], upTo);
  cursor.routed_seq = Math.max(m.routed_seq, upTo);
  if (Math.max(seq, m.acked_seq, m.fetched_seq) >= m.inbox_upto) {
    cursor.reminder_due_at = null;
    cursor.escalate_at = null;
  }
  return {
    cursor,
    trail,
    cancelUpTo: seq,
    reason: which === 'acked_seq' ? CANCEL_REASON.acked : CANCEL_REASON.fetched,
  };
}

/** Applies a write to the row it came from, so that a second item for the same member sees the first. */
export function afterWrite<R extends CursorRow>(m: R, w: CursorWrite): R {
  return { ...m, ...w };
}

/** The highest seq an inbox pull is about to show: shown_seq moves up to it. */
export function shownUpTo(seqs: number[]): number {
  return Math.max(...seqs);
}

/** The seqs whose queued text was cancelled by the pull, in the order asked, each once. */
export function handedOver(seqs: number[], cancelled: Iterable<number>): number[] {
  const hit = new Set(cancelled);
  return seqs.filter((s, i) => hit.has(s) && seqs.indexOf(s) === i);
}

/**
 * An inbox answer is about to show `seqs`: the trail's inbox/shown event for those above what earlier
 * answers already showed (a pull repeated before its confirmation records nothing new).
 */
export function planShown(
  m: CursorRow | undefined,
  ids: { groupId: number; userId: number },
  seqs: number[],
  now: number,
  /** Seqs already handed to the gateway: the answer hides them, so they were not shown. */
  texted: Iterable<number> = [],
): TrailEntry[] {
  if (m?.state !== 'active' || seqs.length === 0) return [];
  const hidden = new Set(texted);
  const fresh = seqs.filter((q) => q > m.shown_seq && !hidden.has(q));
  if (fresh.length === 0) return [];
  const from = Math.max(m.shown_seq, Math.min(...fresh) - 1);
  return splitAround(from, Math.max(...fresh), hidden).map(([seqFrom, seqTo]) => ({
    ...ids,
    seqFrom,
    seqTo,
    rung: 'inbox',
    outcome: 'shown',
    reason: `in an inbox answer (${fresh.filter((q) => q > seqFrom && q <= seqTo).length} message(s))`,
    at: now,
  }));
}

export interface ShowPlan {
  /** For an active member: the inbox grows to cover the handed-over range, with its reminder. */
  inbox: { inbox_upto: number; reminder_due_at: number | null } | null;
  trail: TrailEntry;
}

/** The reason of the decision an inbox pull writes when it takes over queued texts (the trail, docs/delivery.md). */
export const HANDOVER_REASON = 'shown in the inbox before its SMS left';

/** What an inbox pull that took over `handed` texts writes; null when it took over none. */
export function planShowInInbox(
  m: CursorRow | undefined,
  ids: { groupId: number; userId: number },
  handed: number[],
  now: number,
  reminderDueAt: number,
): ShowPlan | null {
  if (handed.length === 0) return null;
  const to = Math.max(...handed);
  const inbox =
    m && m.state === 'active'
      ? { inbox_upto: Math.max(m.inbox_upto, to), reminder_due_at: m.reminder_due_at ?? reminderDueAt }
      : null;
  return {
    inbox,
    trail: {
      ...ids,
      seqFrom: Math.min(...handed) - 1,
      seqTo: to,
      rung: 'inbox',
      outcome: 'waiting',
      reason: `${HANDOVER_REASON} (${handed.length} text(s) cancelled)`,
      at: now,
    },
  };
}
