// The rest of the reminder ladder, for a member Web Push did not reach: a WAP Push Service Indication
// through the push proxy gateway when one is configured (phones with a WAP browser), else one SMS with
// the inbox link. Each step is counted in qun_reminders_total{channel, outcome}; the words returned go
// into the member's trail (rung 'reminder'), starting with the channel that carried the reminder.
import type { WapPushSender } from '../channels/wappush/wap-push-sender.ts';
import type { Clock } from '../core/clock.ts';
import type { Lang } from '../domain/commands/command.ts';
import type { DueReminder, NewOutbound, User } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';

export interface ReminderFallbackDeps {
  /** Set when QUN_WAP_PUSH_URL is. */
  wapPush: WapPushSender | undefined;
  /** The reminder text for the member, queued by the caller with the reminder's bookkeeping (or none). */
  sms: ((r: DueReminder, user: User, text: string) => NewOutbound | undefined) | undefined;
  inboxUrl: string;
  clock: Clock;
  metrics: Metrics;
  log: { warn: (o: object, m: string) => void };
}

export interface FallbackOutcome {
  outcome: string;
  reason: string;
  text?: NewOutbound;
}

export class ReminderFallback {
  readonly #d: ReminderFallbackDeps;

  constructor(d: ReminderFallbackDeps) {
    this.#d = d;
  }

  /** No WAP Push configured: the fallback is decided at once (remindNow), with no round trip. */
  get immediate(): boolean {
    return !this.#d.wapPush;
  }

  /** The fallback without WAP Push: SMS or nothing. Synchronous; only when `immediate`. */
  remindNow(r: DueReminder, user: User, _lang: Lang, text: string): FallbackOutcome {
    if (this.#d.wapPush) throw new Error('remindNow: a WAP Push is a round trip (use remind)');
    const problems: string[] = [];
    if (user.smsOptedOut && this.#d.sms) problems.push('number opted out (STOP)');
    return this.#smsOrNone(r, user, text, problems);
  }

  /** Tries WAP Push, then SMS; the outcome and trail reason of the first that worked (or why none did). */
  async remind(r: DueReminder, user: User, _lang: Lang, text: string): Promise<FallbackOutcome> {
    const d = this.#d;
    const problems: string[] = [];
    // A WAP Push is a (binary) SMS too: an opted-out number gets neither.
    if (user.smsOptedOut && (d.wapPush || d.sms)) problems.push('number opted out (STOP)');
    else if (d.wapPush) {
      // The indication carries the link itself; its text need not repeat it.
      const shown = text.replace(`: ${d.inboxUrl}`, '').replace(`：${d.inboxUrl}`, '');
      const o = await d.wapPush.send(user.phone, {
        href: d.inboxUrl,
        text: shown,
        // One indication per group: a newer one replaces the older on the phone.
        siId: `qun-group-${r.groupId}@qun`,
        created: new Date(d.clock.now()),
      });
      d.metrics.reminders.inc({ channel: 'wap_push', outcome: o.outcome === 'sent' ? 'reminded' : 'failed' });
      if (o.outcome === 'sent')
        return {
          outcome: 'reminded',
          reason: `wap_push: ${r.unread} unread; PPG answered PAP ${o.code} (${o.pushId})`,
        };
      d.log.warn({ userId: r.userId, reason: o.reason }, 'WAP Push reminder failed');
      problems.push(`wap_push failed: ${o.reason}`);
    }
    return this.#smsOrNone(r, user, text, problems);
  }

  #smsOrNone(r: DueReminder, user: User, text: string, problems: string[]): FallbackOutcome {
    const d = this.#d;
    if (d.sms && !user.smsOptedOut) {
      const queued = d.sms(r, user, text);
      if (queued) {
        d.metrics.reminders.inc({ channel: 'sms', outcome: 'reminded' });
        const before = problems.length ? `; ${problems.join('; ')}` : '';
        return {
          outcome: 'reminded',
          reason: `sms: ${r.unread} unread; a text with the inbox link${before}`,
          text: queued,
        };
      } else problems.push('sms: not queued');
    }
    d.metrics.reminders.inc({ channel: 'none', outcome: 'no_channel' });
    return {
      outcome: problems.length ? 'failed' : 'no_subscription',
      reason: problems.length ? problems.join('; ') : `${r.unread} unread; no channel for a reminder`,
    };
  }
}
