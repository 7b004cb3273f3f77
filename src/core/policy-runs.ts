// A member's range routed afresh (ack timeout, recovery, escalation) gets a policy decision per message
// (one may be urgent, the budget may run out inside the range): consecutive messages with the same
// decision become one route, in order, and messages with nothing to deliver join the run before them.
import type { PolicyDecision } from '../domain/policy.ts';
import type { StoredMessage, User } from '../store/store.ts';

export interface PolicyRun {
  decision: PolicyDecision;
  items: { msg: StoredMessage; sender: User }[];
  /** The run covers (previous run's `to`, to]. */
  to: number;
}

const same = (a: PolicyDecision, b: PolicyDecision) =>
  a.rung === b.rung &&
  a.policy === b.policy &&
  a.notBefore === b.notBefore &&
  a.digest === b.digest &&
  a.reminder === b.reminder;

/**
 * `items`: every message of the page in seq order, with its sender when it is the member's to receive.
 * `smsOnly` (escalation): a message policy keeps off SMS stays in the inbox it is already in.
 */
export function policyRuns(
  items: { msg: StoredMessage; sender?: User | undefined }[],
  o: { decide: (msg: StoredMessage, sender: User | undefined) => PolicyDecision; smsOnly: boolean },
): PolicyRun[] {
  const runs: PolicyRun[] = [];
  for (const { msg, sender } of items) {
    const last = runs[runs.length - 1];
    if (!sender && last) {
      last.to = msg.seq;
      continue;
    }
    const decision = o.decide(msg, sender);
    if (!sender || (o.smsOnly && decision.rung !== 'sms')) {
      if (last) last.to = msg.seq;
      else runs.push({ decision, items: [], to: msg.seq });
      continue;
    }
    if (last && same(last.decision, decision)) {
      last.items.push({ msg, sender });
      last.to = msg.seq;
    } else runs.push({ decision, items: [{ msg, sender }], to: msg.seq });
  }
  return runs;
}
