// The ladder's decision for one member and one message: a pure function of the member's presence,
// their SMS standing and why we are asking. Every rung change in Qun goes through here.
export type Rung = 'live' | 'inbox' | 'sms' | 'none';

export type RouteReason =
  | 'live_connected' // an authenticated socket answered its last heartbeat
  | 'live_reconnecting' // the last socket closed less than an ack timeout ago: the client may resume
  | 'live_pending' // earlier messages still await this member's ack: later ones queue behind them, in order
  | 'sender_devices' // the sender's own other devices get their message
  | 'sender_only' // the sender has no other device: nothing to deliver
  | 'web_online' // the mobile inbox fetched within the web-online TTL
  | 'live_ack_timeout_web_online' // fell from live (no ack in time) to a fresh inbox
  | 'offline' // neither live nor web-online
  | 'live_ack_timeout' // fell from live to SMS
  | 'sms_opted_out' // would go by SMS but the number sent STOP: the message waits in the inbox
  | 'no_sms_route'; // would go by SMS but the gateway cannot reach the number

export interface MemberPresence {
  /** Live, heartbeat-fresh connections of this member on any node. */
  liveConnections: number;
  webOnline: boolean;
  /** No live connection now, but one closed less than an ack timeout ago (a flap, a network switch). */
  recentlyLive?: boolean;
}

export interface RoutingInput {
  presence: MemberPresence;
  isSender: boolean;
  smsOptedOut: boolean;
  smsReachable: boolean;
  /** True when live was tried and no ack came in time: live is not offered again for this range. */
  liveTimedOut: boolean;
  /**
   * Earlier messages of this group wait for the member's live ack. A later message joins them, so that
   * if they all fall to SMS they go in order, and if the client resumes it acks them all.
   */
  pendingLive?: boolean;
}

export interface RouteDecision {
  rung: Rung;
  reason: RouteReason;
}

export function decideRoute(i: RoutingInput): RouteDecision {
  if (i.isSender) {
    return i.presence.liveConnections > 0 && !i.liveTimedOut
      ? { rung: 'live', reason: 'sender_devices' }
      : { rung: 'none', reason: 'sender_only' };
  }
  if (!i.liveTimedOut) {
    if (i.presence.liveConnections > 0) return { rung: 'live', reason: 'live_connected' };
    if (i.pendingLive) return { rung: 'live', reason: 'live_pending' };
    if (i.presence.recentlyLive) return { rung: 'live', reason: 'live_reconnecting' };
  }
  if (i.presence.webOnline) {
    return { rung: 'inbox', reason: i.liveTimedOut ? 'live_ack_timeout_web_online' : 'web_online' };
  }
  if (i.smsOptedOut) return { rung: 'inbox', reason: 'sms_opted_out' };
  if (!i.smsReachable) return { rung: 'inbox', reason: 'no_sms_route' };
  return { rung: 'sms', reason: i.liveTimedOut ? 'live_ack_timeout' : 'offline' };
}

/** When the reminder for a member's oldest unfetched inbox item falls due. */
export function reminderDueAt(oldestUnfetchedAt: number, reminderDelayMs: number): number {
  return oldestUnfetchedAt + reminderDelayMs;
}

/**
 * Whether an inbox range still unread after its reminder goes by SMS: only where the group asks for it
 * and only for messages neither fetched nor acked since.
 */
export function shouldEscalate(i: {
  groupEscalates: boolean;
  smsOptedOut: boolean;
  smsReachable: boolean;
  unreadCount: number;
}): boolean {
  return i.groupEscalates && !i.smsOptedOut && i.smsReachable && i.unreadCount > 0;
}
