// What a message would cost if sent now, for the send box: its segments and how many members the ladder
// and delivery policy would text now (held texts counted apart). A dry run: nothing is spent or sent.
import type { GroupInfo } from '../domain/group.ts';
import { decideRoute } from '../domain/routing.ts';
import type { StoredMessage, User } from '../store/store.ts';
import type { DeliveryDeps } from './delivery-engine.ts';
import { messageSegments } from './sms-text.ts';

export interface SmsCost {
  segments: number;
  textedNow: number;
  heldForLater: number;
  segmentsNow: number;
}

export async function previewSmsCost(
  d: DeliveryDeps,
  group: GroupInfo,
  sender: User,
  body: string,
  urgent: boolean,
): Promise<SmsCost> {
  const now = d.clock.now();
  const members = await d.members.active(group.id);
  const presence = await d.presence.snapshot(
    members.map((m) => m.userId),
    now,
  );
  const policy = await d.policy.context(group.id, (m) => !m.smsOptedOut && d.sms.reachable(m.phone), true);
  const msg: StoredMessage = {
    groupId: group.id,
    seq: group.lastSeq + 1,
    id: 'preview',
    senderId: sender.id,
    body,
    source: 'http',
    clientMsgId: null,
    audience: 'all',
    createdAt: now,
    urgent,
  };
  const segments = messageSegments(group, msg, sender, d);
  let textedNow = 0;
  let heldForLater = 0;
  for (const m of members) {
    if (m.userId === sender.id) continue;
    const route = decideRoute({
      presence: presence.get(m.userId) ?? { liveConnections: 0, webOnline: false },
      isSender: false,
      smsOptedOut: m.smsOptedOut,
      smsReachable: d.sms.reachable(m.phone),
      liveTimedOut: false,
      pendingLive: d.tracker.pending(m.userId, group.id),
    });
    const p = policy.decide(m, route, urgent, () => segments, now);
    if (p.rung !== 'sms') continue;
    if (p.notBefore === null && !p.digest) textedNow++;
    else heldForLater++;
  }
  return { segments, textedNow, heldForLater, segmentsNow: segments * textedNow };
}
