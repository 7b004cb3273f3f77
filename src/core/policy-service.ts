// Delivery policy at work: each member's preferences (cached per group, invalidated on change), their quiet
// window, and the group's SMS budget counted as texts are queued. The decision itself is the pure
// decidePolicy in domain/policy.ts; this module only gathers its inputs.
import type { Membership } from '../domain/group.ts';
import {
  DEFAULT_PREFS,
  type DeliveryPrefs,
  decidePolicy,
  type GroupPolicy,
  type PolicyDecision,
  untouchedByPolicy,
} from '../domain/policy.ts';
import { quietEndsAt, zoneForPhone } from '../domain/quiet-hours.ts';
import type { RouteDecision } from '../domain/routing.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';

export interface BudgetSettings {
  /** Operator defaults and ceilings, in segments; 0 = none. */
  day: number;
  month: number;
  dayCeiling: number;
  monthCeiling: number;
}

export interface BudgetState {
  /** Effective limits (null = unlimited), what was spent in the current UTC day and month, what is left. */
  day: { limit: number | null; spent: number; remaining: number | null; resetsAt: number };
  month: { limit: number | null; spent: number; remaining: number | null; resetsAt: number };
}

const DAY_MS = 86_400_000;
const CACHE_MS = 10_000;
const dayStart = (t: number) => t - (t % DAY_MS);
const monthStart = (t: number) => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
const nextMonth = (t: number) => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

/** The limit that applies: the group's own (never above the ceiling), else the operator default. */
export function effectiveLimit(own: number | null, operatorDefault: number, ceiling: number): number | null {
  const base = own ?? (operatorDefault > 0 ? operatorDefault : null);
  if (base === null) return ceiling > 0 ? ceiling : null;
  return ceiling > 0 ? Math.min(base, ceiling) : base;
}

interface Spend {
  day: number;
  dayKey: number;
  month: number;
  monthKey: number;
}

/** The per-fan-out view: one group's preferences and budget, read once per message. */
export interface PolicyContext {
  prefsOf(userId: number): DeliveryPrefs;
  /**
   * `segments`: what the member's text would cost, asked for only when it matters (a budget is set, or
   * the text goes): counting a message's segments costs more than deciding for a live member.
   */
  decide(
    m: Membership,
    route: RouteDecision,
    urgent: boolean,
    segments: () => number,
    now: number,
  ): PolicyDecision;
  digestWindowMs: number;
}

export class PolicyService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #budget: BudgetSettings;
  readonly #digestWindowMs: number;
  // Cached per group and dropped on a change made through this node; entries also expire after
  // CACHE_MS, so a change made through another node applies within that time.
  readonly #prefs = new Map<number, { at: number; p: Promise<Map<number, DeliveryPrefs>> }>();
  readonly #groups = new Map<number, { at: number; p: Promise<GroupPolicy> }>();
  readonly #spend = new Map<number, Spend>();
  /** Called once per group and period when the budget runs out (tells the admins). */
  onBudgetSpent: (groupId: number, period: 'day' | 'month', resetsAt: number) => void = () => {};

  readonly #metrics: Metrics | undefined;

  constructor(store: Store, clock: Clock, budget: BudgetSettings, digestWindowMs: number, metrics?: Metrics) {
    this.#metrics = metrics;
    this.#store = store;
    this.#clock = clock;
    this.#budget = budget;
    this.#digestWindowMs = digestWindowMs;
  }

  /** `dryRun`: a preview (what a message would cost now) that spends nothing and tells nobody. */
  async context(
    groupId: number,
    smsAllowed: (m: Membership) => boolean,
    dryRun = false,
  ): Promise<PolicyContext> {
    const prefs = await this.#prefsFor(groupId);
    const gp = await this.groupPolicy(groupId);
    const now = this.#clock.now();
    const stored = await this.#spendFor(groupId, now);
    const spend = dryRun ? { ...stored } : stored;
    const dayLimit = effectiveLimit(gp.smsBudgetDay, this.#budget.day, this.#budget.dayCeiling);
    const monthLimit = effectiveLimit(gp.smsBudgetMonth, this.#budget.month, this.#budget.monthCeiling);
    const prefsOf = (userId: number) => prefs.get(userId) ?? DEFAULT_PREFS;
    return {
      prefsOf,
      digestWindowMs: gp.digestWindowMs ?? this.#digestWindowMs,
      decide: (m, route, urgent, count, at) => {
        // Rungs policy never changes spend nothing: the member's zone, quiet window and budget are not
        // looked at for them.
        const untouched = untouchedByPolicy(route);
        if (untouched) return untouched;
        const p = prefsOf(m.userId);
        let counted: number | undefined;
        const segments = () => (counted ??= count());
        // The zone matters only inside quiet hours (most members have none): a number's zone is a parse.
        const zone = p.quiet ? (p.timeZone ?? zoneForPhone(m.phone)) : 'UTC';
        const fits = (limit: number | null, spent: number) => limit === null || spent + segments() <= limit;
        const d = decidePolicy({
          route,
          prefs: p,
          urgent,
          quietEndsAt: quietEndsAt(at, p.quiet, zone),
          budgetLeft: fits(dayLimit, spend.day) && fits(monthLimit, spend.month),
          smsAllowed: smsAllowed(m),
        });
        if (dryRun) {
          if (d.rung === 'sms') spend.day += segments();
          if (d.rung === 'sms') spend.month += segments();
          return d;
        }
        if (d.policy !== null) this.#metrics?.policyDecisions.inc({ reason: d.policy });
        if (d.rung === 'sms') {
          spend.day += segments();
          spend.month += segments();
          this.#gauge(groupId, dayLimit, monthLimit, spend);
        } else if (d.policy === 'budget') {
          const period = fits(dayLimit, spend.day) ? 'month' : 'day';
          this.onBudgetSpent(groupId, period, period === 'day' ? dayStart(at) + DAY_MS : nextMonth(at));
        }
        return d;
      },
    };
  }

  async budget(groupId: number): Promise<BudgetState> {
    const gp = await this.groupPolicy(groupId);
    const now = this.#clock.now();
    const spend = await this.#spendFor(groupId, now);
    const dayLimit = effectiveLimit(gp.smsBudgetDay, this.#budget.day, this.#budget.dayCeiling);
    const monthLimit = effectiveLimit(gp.smsBudgetMonth, this.#budget.month, this.#budget.monthCeiling);
    const left = (l: number | null, s: number) => (l === null ? null : Math.max(0, l - s));
    this.#gauge(groupId, dayLimit, monthLimit, spend);
    return {
      day: {
        limit: dayLimit,
        spent: spend.day,
        remaining: left(dayLimit, spend.day),
        resetsAt: dayStart(now) + DAY_MS,
      },
      month: {
        limit: monthLimit,
        spent: spend.month,
        remaining: left(monthLimit, spend.month),
        resetsAt: nextMonth(now),
      },
    };
  }

  #gauge(groupId: number, dayLimit: number | null, monthLimit: number | null, spend: Spend): void {
    const m = this.#metrics;
    if (!m) return;
    const g = String(groupId);
    if (dayLimit !== null) {
      m.smsBudgetRemaining.set({ group_id: g, period: 'day' }, Math.max(0, dayLimit - spend.day));
      m.smsBudgetSpent.set({ group_id: g, period: 'day' }, spend.day);
    }
    if (monthLimit !== null) {
      m.smsBudgetRemaining.set({ group_id: g, period: 'month' }, Math.max(0, monthLimit - spend.month));
      m.smsBudgetSpent.set({ group_id: g, period: 'month' }, spend.month);
    }
  }

  /** When the member's quiet hours end, if it is quiet for them at `now`; null otherwise. */
  async quietUntil(groupId: number, userId: number, phone: string, now: number): Promise<number | null> {
    const p = (await this.#prefsFor(groupId)).get(userId);
    if (!p?.quiet) return null;
    return quietEndsAt(now, p.quiet, p.timeZone ?? zoneForPhone(phone));
  }

  get ceilings(): { day: number; month: number } {
    return { day: this.#budget.dayCeiling, month: this.#budget.monthCeiling };
  }

  prefsOf(groupId: number, userId: number): Promise<DeliveryPrefs> {
    return this.#store.policy.prefsOf(groupId, userId);
  }

  async setPrefs(groupId: number, userId: number, prefs: DeliveryPrefs): Promise<void> {
    await this.#store.policy.setPrefs(groupId, userId, prefs, this.#clock.now());
    this.#prefs.delete(groupId);
  }

  groupPolicy(groupId: number): Promise<GroupPolicy> {
    const now = this.#clock.now();
    const hit = this.#groups.get(groupId);
    if (hit && now - hit.at < CACHE_MS && now >= hit.at) return hit.p;
    const p = this.#store.policy.groupPolicy(groupId);
    this.#groups.set(groupId, { at: now, p });
    p.catch(() => this.#groups.delete(groupId));
    return p;
  }

  async setGroupPolicy(groupId: number, gp: GroupPolicy): Promise<void> {
    await this.#store.policy.setGroupPolicy(groupId, gp, this.#clock.now());
    this.#groups.delete(groupId);
  }

  #prefsFor(groupId: number): Promise<Map<number, DeliveryPrefs>> {
    const now = this.#clock.now();
    const hit = this.#prefs.get(groupId);
    if (hit && now - hit.at < CACHE_MS && now >= hit.at) return hit.p;
    const p = this.#store.policy.prefsForGroup(groupId);
    this.#prefs.set(groupId, { at: now, p });
    p.catch(() => this.#prefs.delete(groupId));
    return p;
  }

  /**
   * Spend is read from the queue once per period and then counted here as texts are queued, so a burst
   * is stopped at the limit without a query per text. (Several nodes each count their own queuing: the
   * stored figure, re-read each period, is the truth; a budget may be overshot by what nodes queued at once.)
   */
  async #spendFor(groupId: number, now: number): Promise<Spend> {
    const dayKey = dayStart(now);
    const monthKey = monthStart(now);
    let s = this.#spend.get(groupId);
    if (!s || s.dayKey !== dayKey || s.monthKey !== monthKey) {
      s = {
        day: await this.#store.policy.smsSpent(groupId, dayKey),
        dayKey,
        month: await this.#store.policy.smsSpent(groupId, monthKey),
        monthKey,
      };
      this.#spend.set(groupId, s);
    }
    return s;
  }
}
