// The route a member's range takes when it does not go live: its texts (one per message, or held for
// the end of quiet hours, or waiting for a digest), its reminder, and the reason the trail records.
import type { GroupInfo, Membership } from '../domain/group.ts';
import type { PolicyDecision } from '../domain/policy.ts';
import type { FallbackRoute, NewOutbound, StoredMessage, User } from '../store/store.ts';
import type { DeliveryDeps } from './delivery-engine.ts';
import { groupMessageText, senderLabel } from './sms-text.ts';

export function fallbackRoute(
  d: DeliveryDeps,
  group: GroupInfo,
  m: Membership,
  items: { msg: StoredMessage; sender: User }[],
  fromSeq: number,
  toSeq: number,
  decision: PolicyDecision,
  now: number,
  digestWindowMs = 0,
): FallbackRoute {
  // A held text waits for the end of quiet hours; a digest text for its window (merged when due).
  const notBefore = Math.max(decision.notBefore ?? 0, decision.digest ? now + digestWindowMs : 0);
  const sms: NewOutbound[] =
    decision.rung === 'sms'
      ? items.map(({ msg, sender }) => ({
          kind: 'group_message',
          toPhone: m.phone,
          fromAddr: d.smsFrom(group),
          text: groupMessageText(
            {
              groupName: group.name,
              groupNumber: d.singleNumberMode ? group.groupNumber : undefined,
              senderLabel: senderLabel(sender),
              body: msg.body,
            },
            d.sms,
          ),
          groupId: group.id,
          seq: msg.seq,
          userId: m.userId,
          ...(notBefore > 0 ? { notBefore } : {}),
          ...(decision.digest ? { digest: true } : {}),
        }))
      : [];
  const reminderAt = Math.max(now + d.reminderDelayMs, decision.notBefore ?? 0);
  d.metrics.deliveries.inc(
    { rung: decision.rung, outcome: decision.rung === 'sms' ? 'sms_queued' : 'waiting' },
    items.length,
  );
  return {
    groupId: group.id,
    userId: m.userId,
    seqFrom: fromSeq,
    seqTo: toSeq,
    rung: items.length === 0 || decision.rung === 'live' ? 'none' : decision.rung,
    // The trail says why policy changed the ladder's choice, or the ladder's own reason.
    reason: decision.policy ?? decision.route,
    at: now,
    reminderDueAt: decision.rung === 'inbox' && decision.reminder && items.length > 0 ? reminderAt : null,
    sms,
  };
}

/** A route that only moves the member's routed cursor over one message (no trail, no text). */
export function nothingFor(
  groupId: number,
  userId: number,
  seq: number,
  at: number,
  reason: string,
): FallbackRoute {
  return {
    groupId,
    userId,
    seqFrom: seq - 1,
    seqTo: seq,
    rung: 'none',
    reason,
    at,
    reminderDueAt: null,
    sms: [],
  };
}
