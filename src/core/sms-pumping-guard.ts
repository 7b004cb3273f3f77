// Guards against SMS pumping (fraudsters triggering paid texts to premium numbers): caps on the texts
// that strangers can make Qun send — sign-in codes and invitations — per number, per client address
// and per day. A refusal counts in a metric and the first one per window raises a log alarm.
import type { Store } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { Metrics } from './metrics.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface PumpingLimits {
  /** Sign-in codes per client address per hour. */
  codesPerAddressPerHour: number;
  /** Invitation texts one number may receive per day, whoever sends them. */
  invitesPerNumberPerDay: number;
  /** Sign-in codes and invitations together, per day, for the whole server. */
  dailyCap: number;
}

export type PumpingVerdict = 'ok' | 'address' | 'number' | 'daily';

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

  /** May a sign-in code go out for a request from this client address? Records it when yes. */
  async allowCode(address: string | undefined): Promise<PumpingVerdict> {
    const now = this.#clock.now();
    if (
      (await this.#store.outbound.countTexts(['code', 'invite'], null, now - DAY_MS)) >= this.#limits.dailyCap
    ) {
      return this.#refuse('daily', { address });
    }
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
    if (
      (await this.#store.outbound.countTexts(['code', 'invite'], null, now - DAY_MS)) >= this.#limits.dailyCap
    ) {
      return this.#refuse('daily', { phone });
    }
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
