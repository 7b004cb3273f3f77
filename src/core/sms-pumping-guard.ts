// Guards against SMS pumping (fraudsters triggering paid texts to premium numbers): which numbers may
// be texted at all (region and number type), and caps on the texts that strangers can make Qun send —
// sign-in codes, invitations and command replies — per number, per client address and per day. Group
// texts are members' traffic and are not counted. A refusal counts in a metric and the first one per
// window raises a log alarm.
import { type NumberPolicy, type NumberVerdict, numberVerdict } from '../domain/sms-policy.ts';
import type { OutboundKind, Store } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface PumpingLimits {
  /** Sign-in codes per client address per hour. */
  codesPerAddressPerHour: number;
  /** Invitation texts one number may receive per day, whoever sends them. */
  invitesPerNumberPerDay: number;
  /** Sign-in codes, invitations and command replies together, per day, for the whole server. */
  dailyCap: number;
  /** Replies to texts one number gets per hour. */
  repliesPerHour: number;
  /** Which numbers may get codes and invitations at all. */
  numbers: NumberPolicy;
}

export type PumpingVerdict = 'ok' | 'address' | 'number' | 'daily' | 'replies';

// Every text a stranger can cause; group messages, reminders and notices to members are not here.
const STRANGER_KINDS: OutboundKind[] = ['code', 'invite', 'reply'];

export class SmsPumpingGuard {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #limits: PumpingLimits;
  readonly #log: { warn: (o: object, m: string) => void };
  readonly #byAddress = new Map<string, number[]>();
  #lastAlarm = 0;

  constructor(
    store: Store,
    clock: Clock,
    metrics: Metrics,
    limits: PumpingLimits,
    log: { warn: (o: object, m: string) => void },
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#metrics = metrics;
    this.#limits = limits;
    this.#log = log;
  }

  /** May this number get a sign-in code or an invitation at all (region, number type)? */
  reachable(phone: string): NumberVerdict {
    const v = numberVerdict(phone, this.#limits.numbers);
    if (v !== 'ok') this.#metrics.rateLimited.inc({ kind: `number_${v}` });
    return v;
  }

  /** May a reply go to this number (the daily cap and its hourly replies)? */
  async allowReply(phone: string): Promise<PumpingVerdict> {
    const now = this.#clock.now();
    if (await this.#overDaily(now)) return this.#refuse('daily', { phone });
    if (
      (await this.#store.outbound.countTexts(['reply'], phone, now - HOUR_MS)) >= this.#limits.repliesPerHour
    ) {
      // Not an alarm: one phone texting too much is common; the metric shows it.
      this.#metrics.rateLimited.inc({ kind: 'sms_replies' });
      return 'replies';
    }
    return 'ok';
  }

  async #overDaily(now: number): Promise<boolean> {
    return (
      (await this.#store.outbound.countTexts(STRANGER_KINDS, null, now - DAY_MS)) >= this.#limits.dailyCap
    );
  }

  /** May a sign-in code go out for a request from this client address? Records it when yes. */
  async allowCode(address: string | undefined): Promise<PumpingVerdict> {
    const now = this.#clock.now();
    if (await this.#overDaily(now)) return this.#refuse('daily', { address });
    if (address) {
      const recent = (this.#byAddress.get(address) ?? []).filter((t) => t > now - HOUR_MS);
      if (recent.length >= this.#limits.codesPerAddressPerHour) return this.#refuse('address', { address });
      recent.push(now);
      this.#byAddress.set(address, recent);
      if (this.#byAddress.size > 100_000) this.#byAddress.clear();
    }
    return 'ok';
  }

  /** May an invitation text go to this number? */
  async allowInvite(phone: string): Promise<PumpingVerdict> {
    const now = this.#clock.now();
    if (await this.#overDaily(now)) return this.#refuse('daily', { phone });
    if (
      (await this.#store.outbound.countTexts(['invite'], phone, now - DAY_MS)) >=
      this.#limits.invitesPerNumberPerDay
    ) {
      return this.#refuse('number', { phone });
    }
    return 'ok';
  }

  #refuse(v: Exclude<PumpingVerdict, 'ok'>, o: object): PumpingVerdict {
    this.#metrics.rateLimited.inc({ kind: `pumping_${v}` });
    const now = this.#clock.now();
    if (now - this.#lastAlarm > 60_000) {
      this.#lastAlarm = now;
      this.#log.warn(
        { alarm: 'sms_pumping', cap: v, ...o },
        'SMS pumping guard refused texts; check for abuse',
      );
    }
    return v;
  }
}
