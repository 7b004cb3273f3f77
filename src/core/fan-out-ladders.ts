// The ladder's choice (live, inbox, SMS, nothing) for each member a message fans out to, before policy;
// and whether policy may change any of them. Policy changes only rungs below live, so a fan-out whose
// every recipient is live, as in a conversation, need not read it (preferences, quiet hours, the SMS
// budget: three reads per message).
import type { Membership } from '../domain/group.ts';
import { policyMayChange } from '../domain/policy.ts';
import { decideRoute, type MemberPresence, type RouteDecision } from '../domain/routing.ts';
import type { StoredMessage } from '../store/store.ts';
import { visibleTo } from './frames.ts';

export interface FanOutLadders {
  /** Per member, in order; undefined for the sender and for members the message is not for. */
  ladders: (RouteDecision | undefined)[];
  /** Some ladder's rung is one policy may change. */
  policyApplies: boolean;
}

export function fanOutLadders(
  members: readonly Membership[],
  msg: StoredMessage,
  presence: ReadonlyMap<number, MemberPresence>,
  reachable: (phone: string) => boolean,
  pendingLive: (userId: number, groupId: number) => boolean,
): FanOutLadders {
  let policyApplies = false;
  const ladders = members.map((m) => {
    if (m.userId === msg.senderId || !visibleTo(msg, m)) return undefined;
    const route = decideRoute({
      presence: presence.get(m.userId) ?? { liveConnections: 0, webOnline: false },
      isSender: false,
      smsOptedOut: m.smsOptedOut,
      smsReachable: reachable(m.phone),
      liveTimedOut: false,
      pendingLive: pendingLive(m.userId, msg.groupId),
    });
    if (policyMayChange(route)) policyApplies = true;
    return route;
  });
  return { ladders, policyApplies };
}
