// Delivery policy: a member's channel preferences, quiet hours, urgent messages, digests and the group's
// SMS budget, applied to the ladder's rung (decideRoute) as one pure step. Every policy choice goes here.
import type { RouteDecision, Rung } from './routing.ts';

/** How a member wants texts from one group. */
export type SmsMode =
  | 'normal' // the ladder decides: SMS when neither live nor web-online
  | 'never' // inbox and reminders only
  | 'urgent_only' // SMS only for messages an owner or admin marked urgent
  | 'always'; // a feature phone: SMS even when the web inbox was seen recently

export interface QuietHours {
  /** Local hour the quiet window starts (0–23) and ends (0–23); start > end spans midnight. */
  start: number;
  end: number;
}

export interface DeliveryPrefs {
  smsMode: SmsMode;
  /** History only: no text, no reminder (a live client still gets the frame and decides how to show it). */
  muted: boolean;
  /** Texts of this group go as one digest text per window rather than one text per message. */
  digest: boolean;
  quiet: QuietHours | null;
  /** IANA zone for quiet hours; null means the zone of the phone number's region. */
  timeZone: string | null;
}

export const DEFAULT_PREFS: DeliveryPrefs = {
  smsMode: 'normal',
  muted: false,
  digest: false,
  quiet: null,
  timeZone: null,
};

/** A group's SMS budget (segments; null: the operator default) and digest window (null: no digests). */
export interface GroupPolicy {
  smsBudgetDay: number | null;
  smsBudgetMonth: number | null;
  digestWindowMs: number | null;
}

export const DEFAULT_GROUP_POLICY: GroupPolicy = {
  smsBudgetDay: null,
  smsBudgetMonth: null,
  digestWindowMs: null,
};

export type PolicyReason = 'preference' | 'quiet_hours' | 'digest' | 'budget' | 'urgent';

export interface PolicyInput {
  route: RouteDecision;
  prefs: DeliveryPrefs;
  /** An owner or admin marked the message urgent. */
  urgent: boolean;
  /** When the member's quiet window ends, if it is quiet for them now; null when it is not. */
  quietEndsAt: number | null;
  /** The group still has SMS budget left for today and this month. */
  budgetLeft: boolean;
  /** The number may be texted at all (not opted out, reachable): "always SMS" needs it. */
  smsAllowed: boolean;
}

export interface PolicyDecision {
  rung: Rung;
  /** The ladder's reason, kept for the trail. */
  route: RouteDecision['reason'];
  /** Why policy changed or confirmed the rung; null when the ladder's choice stands untouched. */
  policy: PolicyReason | null;
  /** A text (or reminder) waits until then; null means now. */
  notBefore: number | null;
  /** An inbox rung arms the reminder (muted members get none). */
  reminder: boolean;
  /** The text goes into the member's digest for the group rather than on its own. */
  digest: boolean;
}

/** Policy changes only rungs below live: live and "nothing to deliver" stand as the ladder chose. */
export function policyMayChange(route: RouteDecision): boolean {
  return route.rung !== 'live' && route.rung !== 'none';
}

/**
 * The decision for a rung policy never changes — live and "nothing to deliver" cost nothing and acks
 * settle them — or undefined when policy applies. Callers can skip gathering policy's inputs for these.
 */
export function untouchedByPolicy(route: RouteDecision): PolicyDecision | undefined {
  if (policyMayChange(route)) return undefined;
  return {
    rung: route.rung,
    route: route.reason,
    policy: null,
    notBefore: null,
    reminder: false,
    digest: false,
  };
}

/**
 * Applies the member's preferences and the group's policy to the ladder's choice. Urgent overrides quiet
 * hours, digests and "SMS only for urgent"; never "never SMS", mute, an opt-out or an unreachable number
 * (decideRoute already sent those to the inbox), nor a spent budget (money the owner capped).
 */
export function decidePolicy(i: PolicyInput): PolicyDecision {
  const { route, prefs } = i;
  const untouched = untouchedByPolicy(route);
  if (untouched) return untouched;
  const out: PolicyDecision = {
    rung: route.rung,
    route: route.reason,
    policy: null,
    notBefore: null,
    reminder: route.rung === 'inbox',
    digest: false,
  };
  if (prefs.muted) return { ...out, rung: 'inbox', policy: 'preference', reminder: false };
  let sms = route.rung === 'sms';
  let policy: PolicyReason | null = null;
  if (sms && prefs.smsMode === 'never') {
    sms = false;
    policy = 'preference';
  } else if (sms && prefs.smsMode === 'urgent_only') {
    if (i.urgent) policy = 'urgent';
    else {
      sms = false;
      policy = 'preference';
    }
  } else if (!sms && prefs.smsMode === 'always' && i.smsAllowed && isWebOnline(route.reason)) {
    sms = true;
    policy = 'preference';
  }
  if (!sms) {
    // The item is in the inbox at once; only its reminder waits for the quiet window to end.
    return { ...out, rung: 'inbox', reminder: true, policy: policy ?? quietOnly(i), notBefore: quietWait(i) };
  }
  if (!i.budgetLeft)
    return { ...out, rung: 'inbox', policy: 'budget', reminder: true, notBefore: quietWait(i) };
  const base = { ...out, rung: 'sms' as const, reminder: false };
  if (i.quietEndsAt !== null) {
    return i.urgent
      ? { ...base, policy: 'urgent' }
      : { ...base, policy: 'quiet_hours', notBefore: i.quietEndsAt, digest: prefs.digest };
  }
  if (prefs.digest)
    return i.urgent ? { ...base, policy: 'urgent' } : { ...base, policy: 'digest', digest: true };
  return { ...base, policy };
}

const isWebOnline = (r: RouteDecision['reason']) => r === 'web_online' || r === 'live_ack_timeout_web_online';

/** An inbox item in quiet hours: its reminder waits (the item itself is in the inbox at once). */
function quietWait(i: PolicyInput): number | null {
  return i.urgent ? null : i.quietEndsAt;
}
function quietOnly(i: PolicyInput): PolicyReason | null {
  return quietWait(i) !== null ? 'quiet_hours' : null;
}
