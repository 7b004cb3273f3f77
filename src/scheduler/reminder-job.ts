// The reminder scan (patent step 107): inbox items not fetched within the reminder delay earn their
// member one coalesced reminder per group and scan, by the first channel that reaches them: Web Push
// when they have a subscription, else a WAP Push Service Indication when a PPG is configured, else an
// SMS with the inbox link (reminder-fallback.ts). In groups that ask for it, items still unread after a
// further delay escalate to SMS. Both scans are indexed on their due time, so a scan costs what is due.
//
// Every node runs this scan: taking due work is a claim (store.delivery.remindDue), which leases the rows
// to this node, so nodes scanning at once share the due members and remind each once. A claim brings what
// each reminder needs (member, group addresses, whether there are push subscriptions or quiet hours to look
// at), so a pass makes no query per member. A reminder that needs no round trip — no subscription, no quiet
// hours, no WAP Push: a text or nothing — is decided inside the claim and recorded in its transaction, its
// text with its trail row (one write of the member's due row; on SQLite a row of reminders_due, not the
// membership). The others stay leased and are pushed, a few
// dozen at a time; their bookkeeping is written in one transaction at the end of the pass, or sooner when
// the oldest unwritten claim has used a quarter of its lease (QUN_LEASE). Claims are taken a chunk at a
// time so a chunk's lease only has to cover its pushes: the first is small (nodes scanning at once share a
// few dozen due members), a chunk with nothing to push takes the rest of the batch, one that went quickly
// doubles the next. A node that dies mid-pass leaves its unwritten members to be taken over when their
// lease expires: they may then be pushed twice (the push topic and the WAP SI id make the newer reminder
// replace the older), but never texted twice, as a reminder's text is queued only with its trail row.
import type { WebPushSender } from '../channels/webpush/webpush-sender.ts';
import type { Clock } from '../core/clock.ts';
import type { DeliveryEngine } from '../core/delivery-engine.ts';
import { reply } from '../domain/commands/replies.ts';
import { textLanguage } from '../domain/language.ts';
import type { DueReminder, NewOutbound, ReminderDone, Store } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { FallbackOutcome, ReminderFallback } from './reminder-fallback.ts';

/** At most this many reminders, and as many escalations, per scan. */
const BATCH = 1000;
const PUSH_ATTEMPTS = 3;
/** Pushes in flight at once: a few dozen round trips to push services. Also the first claim's size. */
const PUSH_CONCURRENCY = 32;
/** QUN_LEASE's default, for jobs built without one. */
const DEFAULT_LEASE_MS = 30_000;
/** Escalations claimed at a time (each routes its range in turn). */
const ESCALATION_CHUNK = 100;
/** The reason of the SMS decision an escalation writes (the trail, docs/delivery.md). */
export const ESCALATION_REASON = 'escalated: still unread after the reminder';

export interface ReminderJobDeps {
  store: Store;
  push: WebPushSender;
  delivery: DeliveryEngine;
  clock: Clock;
  metrics: Metrics;
  inboxUrl: string;
  escalateDelayMs: number;
  reminderDelayMs: number;
  /** How long a claim is leased to this node (QUN_LEASE): a chunk's pushes and bookkeeping fit well inside. */
  leaseMs?: number;
  log: { warn: (o: object, m: string) => void };
  /** Reminder texts were queued (wakes the SMS sender). */
  onSmsQueued?: () => void;
  /** WAP Push, then SMS, for members Web Push did not reach. */
  fallback?: ReminderFallback;
  /** When the member's quiet hours end if they are in them now: their reminder waits until then. */
  quietUntil?: (groupId: number, userId: number, phone: string, now: number) => Promise<number | null>;
}

export class ReminderJob {
  readonly #d: ReminderJobDeps;

  constructor(deps: ReminderJobDeps) {
    this.#d = deps;
  }

  /** One scan: reminders due now, then escalations due now. Returns how many of each this node did. */
  async run(signal?: AbortSignal): Promise<{ reminded: number; escalated: number }> {
    const d = this.#d;
    const end = d.metrics.reminderScan.startTimer();
    const leaseMs = d.leaseMs ?? DEFAULT_LEASE_MS;
    let reminded = 0;
    /** Reminder texts were queued: the SMS sender is woken once the pass ends, not between its steps. */
    let texted = false;
    let pending: ReminderDone[] = [];
    /** When the oldest claim whose bookkeeping is not written yet was taken. */
    let pendingSince: number | undefined;
    const write = async () => {
      if (pending.length === 0) return;
      const batch = pending;
      pending = [];
      pendingSince = undefined;
      await d.store.delivery.reminded(batch);
      texted ||= batch.some((x) => x.text);
      reminded += batch.length;
    };
    try {
      for (let taken = 0, chunk = PUSH_CONCURRENCY; taken < BATCH && !signal?.aborted; ) {
        const want = Math.min(chunk, BATCH - taken);
        const at = d.clock.now();
        // Reminders that need no round trip are recorded in the claim's own transaction; the rest come
        // back leased, to be pushed now and recorded with the pass.
        const { settled, leased } = await d.store.delivery.remindDue(at, want, (r) => this.#remindNow(r));
        taken += settled.length + leased.length;
        reminded += settled.length;
        texted ||= settled.some((x) => x.text);
        if (leased.length > 0) pendingSince ??= at;
        const due = await this.#outsideQuietHours(leased);
        for (let i = 0; i < due.length; i += PUSH_CONCURRENCY)
          pending.push(
            ...(await Promise.all(due.slice(i, i + PUSH_CONCURRENCY).map((r) => this.#remind(r)))),
          );
        const now = d.clock.now();
        if (pendingSince !== undefined && now - pendingSince >= leaseMs / 4) await write();
        if (settled.length + leased.length < want) break;
        // Nothing leased: nothing to cover, take the rest at once. Else a chunk twice this one's size that
        // still ends well inside its lease.
        if (leased.length === 0) chunk = BATCH;
        else if (2 * (now - at) < leaseMs / 8) chunk *= 2;
      }
    } finally {
      // Even when a push throws: what was done is recorded (the rest is taken over when its lease ends).
      try {
        await write();
      } finally {
        if (texted) d.onSmsQueued?.();
      }
    }
    let escalated = 0;
    for (let taken = 0; taken < BATCH && !signal?.aborted; ) {
      const claimed = await d.store.delivery.claimEscalations(d.clock.now(), ESCALATION_CHUNK);
      taken += claimed.length;
      for (const e of claimed) {
        // A node that dies between the two steps leaves the escalation leased: the node that takes it over
        // routes the range again, and the outbound queue keeps one text per member and message.
        await d.delivery.routeRange(e.groupId, e.userId, e.fromSeq, e.toSeq, {
          liveTimedOut: true,
          forceSms: true,
          reason: ESCALATION_REASON,
        });
        await d.store.delivery.clearEscalation(e.groupId, e.userId);
        escalated++;
      }
      if (claimed.length < ESCALATION_CHUNK) break;
    }
    end();
    return { reminded, escalated };
  }

  /** Reminders of members in their quiet hours move to the end of the window instead of going now. */
  async #outsideQuietHours(due: DueReminder[]): Promise<DueReminder[]> {
    const d = this.#d;
    if (!d.quietUntil) return due;
    const now = d.clock.now();
    const out: DueReminder[] = [];
    for (const r of due) {
      const until = r.quietHours ? await d.quietUntil(r.groupId, r.userId, r.user.phone, now) : null;
      if (until === null) out.push(r);
      else await d.store.policy.postponeReminder(r.groupId, r.userId, until);
    }
    return out;
  }

  /** What a reminder says, in the member's language. */
  #payload(r: DueReminder) {
    const d = this.#d;
    // The one language rule (domain/language.ts): nothing was typed, so the number's region decides.
    const lang = textLanguage({ phone: r.user.phone });
    const body = reply(lang, { kind: 'reminder', group: r.groupName, count: r.unread, url: d.inboxUrl });
    return { lang, body };
  }

  /**
   * The reminder of a member with no push subscription and no quiet hours, when no WAP Push is configured:
   * a text or nothing, decided without a round trip — so the store records it in the claim's own
   * transaction (store.delivery.remindDue). Undefined for any other member: it is leased and pushed.
   */
  #remindNow(r: DueReminder): ReminderDone | undefined {
    const d = this.#d;
    if (r.pushSubscriptions > 0 || (r.quietHours && d.quietUntil)) return undefined;
    if (d.fallback && !d.fallback.immediate) return undefined;
    const { lang, body } = this.#payload(r);
    const alt = d.fallback?.remindNow(r, r.user, lang, body);
    return this.#bookkeeping(r, d.clock.now(), { subs: 0, sent: 0, problems: [] }, alt);
  }

  async #remind(r: DueReminder): Promise<ReminderDone> {
    const d = this.#d;
    const now = d.clock.now();
    // The claim says whether there are subscriptions: most members of a large pass have none to read.
    const subs = r.pushSubscriptions > 0 ? await d.store.push.forUser(r.userId) : [];
    const { lang, body } = this.#payload(r);
    const payload = {
      title: r.groupName,
      body,
      url: d.inboxUrl,
      tag: `qun-group-${r.groupId}`,
      count: r.unread,
      groupId: r.groupId,
    };
    let sent = 0;
    const problems: string[] = [];
    for (const s of subs) {
      for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
        const o = await d.push.send(
          { endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } },
          payload,
          {
            ttlSeconds: Math.ceil(d.reminderDelayMs / 1000),
            topic: `g${r.groupId}`,
            urgency: 'normal',
          },
        );
        d.metrics.pushes.inc({ outcome: o.outcome });
        if (o.outcome === 'sent') sent++;
        else if (o.outcome === 'gone') await d.store.push.remove(s.endpoint);
        if (o.outcome !== 'retry') {
          if (o.outcome !== 'sent') problems.push(`${o.outcome} ${o.status}`);
          break;
        }
        if (attempt === PUSH_ATTEMPTS) problems.push(`gave up: ${o.reason}`);
      }
    }
    const alt = sent > 0 || !d.fallback ? undefined : await d.fallback.remind(r, r.user, lang, body);
    return this.#bookkeeping(r, now, { subs: subs.length, sent, problems }, alt);
  }

  /** The trail row (and text) of a reminder: Web Push's outcome, or the fallback's that followed it. */
  #bookkeeping(
    r: DueReminder,
    now: number,
    push: { subs: number; sent: number; problems: string[] },
    alt: FallbackOutcome | undefined,
  ): ReminderDone {
    const d = this.#d;
    const { subs, sent, problems } = push;
    let outcome = sent > 0 ? 'reminded' : subs === 0 ? 'no_subscription' : 'failed';
    if (outcome === 'failed') d.log.warn({ userId: r.userId, problems }, 'reminder push failed');
    let reason = `web_push: ${r.unread} unread; web push to ${sent}/${subs} subscription(s)${problems.length ? `; ${problems.join(', ')}` : ''}`;
    let text: NewOutbound | undefined;
    if (!alt) d.metrics.reminders.inc({ channel: 'web_push', outcome });
    else {
      text = alt.text;
      outcome = alt.outcome;
      reason = subs > 0 ? `${alt.reason}; before it, ${reason}` : alt.reason;
    }
    return {
      ...(text ? { text } : {}),
      groupId: r.groupId,
      userId: r.userId,
      trail: {
        groupId: r.groupId,
        userId: r.userId,
        seqFrom: r.fromSeq,
        seqTo: r.toSeq,
        rung: 'reminder',
        outcome,
        reason,
        at: now,
      },
      escalateAt: r.escalate ? now + d.escalateDelayMs : null,
    };
  }
}
