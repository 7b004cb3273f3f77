// Rows of the delivery-policy tables as both engines read them, and the SQL text they share.
import { DEFAULT_PREFS, type DeliveryPrefs, type GroupPolicy, type SmsMode } from '../../domain/policy.ts';

export interface PrefsRow {
  user_id: number;
  sms_mode: SmsMode;
  muted: number;
  digest: number;
  quiet_start: number | null;
  quiet_end: number | null;
  time_zone: string | null;
}

export const toPrefs = (r: PrefsRow | undefined): DeliveryPrefs =>
  r
    ? {
        smsMode: r.sms_mode,
        muted: r.muted === 1,
        digest: r.digest === 1,
        quiet:
          r.quiet_start !== null && r.quiet_end !== null ? { start: r.quiet_start, end: r.quiet_end } : null,
        timeZone: r.time_zone,
      }
    : { ...DEFAULT_PREFS };

export const prefsParams = (p: DeliveryPrefs) => [
  p.smsMode,
  p.muted ? 1 : 0,
  p.digest ? 1 : 0,
  p.quiet?.start ?? null,
  p.quiet?.end ?? null,
  p.timeZone,
];

export interface GroupPolicyRow {
  sms_budget_day: number | null;
  sms_budget_month: number | null;
  digest_window_ms: number | null;
}

export const toGroupPolicy = (r: GroupPolicyRow | undefined): GroupPolicy => ({
  smsBudgetDay: r?.sms_budget_day ?? null,
  smsBudgetMonth: r?.sms_budget_month ?? null,
  digestWindowMs:
    r?.digest_window_ms === null || r?.digest_window_ms === undefined ? null : Number(r.digest_window_ms),
});

// Group texts that cost money: group messages and digests; a message carried by a digest is counted by
// the digest. A queued text's segments are not known yet: it counts one until the gateway says.
export const SPENT_WHERE = `group_id = $g AND kind = 'group_message' AND state <> 'cancelled'
  AND carried_by IS NULL AND created_at >= $since`;
