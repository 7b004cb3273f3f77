// Which trail decisions decided a member's seq a second time without cause. A route decides once; the two
// re-decisions the rules make on purpose are a hand-over and an escalation, known by the reasons the rules write.
import { ESCALATION_REASON } from '../../src/scheduler/reminder-job.ts';
import { HANDOVER_REASON } from '../../src/store/rules/delivery-rules.ts';

/** One decision row: (f, t] of group g's seqs for user u, and how it reads in a report. */
export interface DecisionRow {
  g: number;
  u: number;
  f: number;
  t: number;
  rung: string;
  reason: string;
  what: string;
}

/**
 * Whether `d` may decide a seq that `before` decided last: the inbox taking over texts that were queued, or an
 * escalation texting what waited in the inbox. Any other second decision is a second route.
 */
function redecidesOnPurpose(before: DecisionRow, d: DecisionRow): boolean {
  if (d.rung === 'inbox' && d.reason.startsWith(HANDOVER_REASON)) return before.rung === 'sms';
  if (d.rung === 'sms' && d.reason === ESCALATION_REASON) return before.rung === 'inbox';
  return false;
}

/** `count` second decisions without cause (the first few in `detail`); `onPurpose` the hand-overs and escalations. */
export function seqsDecidedTwice(decisions: DecisionRow[]): {
  count: number;
  detail: string[];
  onPurpose: number;
} {
  const covered = new Map<string, DecisionRow>();
  let count = 0;
  let onPurpose = 0;
  const detail: string[] = [];
  for (const d of decisions)
    for (let s = d.f + 1; s <= d.t; s++) {
      const k = `${d.g}:${d.u}:${s}`;
      const before = covered.get(k);
      if (before && redecidesOnPurpose(before, d)) onPurpose++;
      else if (before) {
        count++;
        if (detail.length < 5)
          detail.push(`${k}: (${before.f},${before.t}] ${before.what}, then (${d.f},${d.t}] ${d.what}`);
      }
      covered.set(k, d);
    }
  return { count, detail, onPurpose };
}
