// Row shapes as both SQL engines return them (integers for flags, numbers for times: PostgreSQL's int8
// is parsed to a number, see postgres/pg-db.ts), and their mapping to the Store's types.
import type { GroupInfo, Membership } from '../domain/group.ts';
import type {
  Audience,
  DueReminder,
  MessageSource,
  OutboundSms,
  StoredMessage,
  TrailEntry,
  User,
} from './store.ts';

export interface UserRow {
  id: number;
  phone: string;
  display_name: string | null;
  sms_opted_out: number;
  last_group_id: number | null;
  created_at: number;
}
export const toUser = (r: UserRow): User => ({
  id: r.id,
  phone: r.phone,
  displayName: r.display_name,
  smsOptedOut: r.sms_opted_out === 1,
  lastGroupId: r.last_group_id,
  createdAt: r.created_at,
});

/** A claimed reminder as both engines' claims return it: the membership's range, its group and member. */
export interface DueRow extends UserRow {
  group_id: number;
  user_id: number;
  name: string;
  esc: number;
  app_number: string;
  group_number: string;
  from_seq: number;
  inbox_upto: number;
  unread: number;
  subs: number;
  quiet: number | boolean;
}
export const toDueReminder = (r: DueRow): DueReminder => ({
  groupId: r.group_id,
  userId: r.user_id,
  fromSeq: r.from_seq,
  toSeq: r.inbox_upto,
  groupName: r.name,
  escalate: r.esc === 1,
  unread: r.unread,
  user: toUser(r),
  appNumber: r.app_number,
  groupNumber: r.group_number,
  pushSubscriptions: r.subs,
  quietHours: r.quiet === 1 || r.quiet === true,
});

export interface GroupRow {
  id: number;
  app_number: string;
  group_number: string;
  name: string;
  invite_policy: 'confirm' | 'direct';
  member_cap: number;
  escalate_to_sms: number;
  confirm_admin_sms: number;
  last_seq: number;
  pruned_seq?: number;
  created_at: number;
}
export const toGroup = (r: GroupRow): GroupInfo => ({
  id: r.id,
  appNumber: r.app_number,
  groupNumber: r.group_number,
  name: r.name,
  invitePolicy: r.invite_policy,
  memberCap: r.member_cap,
  escalateToSms: r.escalate_to_sms === 1,
  confirmAdminSms: r.confirm_admin_sms === 1,
  lastSeq: r.last_seq,
  prunedSeq: r.pruned_seq ?? 0,
  createdAt: r.created_at,
});

export interface MembershipRow {
  group_id: number;
  user_id: number;
  phone: string;
  display_name: string | null;
  sms_opted_out: number;
  role: Membership['role'];
  state: Membership['state'];
  joined_at: number | null;
  joined_seq: number;
  acked_seq: number;
  fetched_seq: number;
  read_seq: number;
  routed_seq: number;
}
export const MEMBERSHIP_COLUMNS = `m.group_id, m.user_id, u.phone, u.display_name, u.sms_opted_out, m.role, m.state, m.joined_at,
  m.joined_seq, m.acked_seq, m.fetched_seq, m.read_seq, m.routed_seq`;
export const toMembership = (r: MembershipRow): Membership => ({
  groupId: r.group_id,
  userId: r.user_id,
  phone: r.phone,
  displayName: r.display_name,
  smsOptedOut: r.sms_opted_out === 1,
  role: r.role,
  state: r.state,
  joinedAt: r.joined_at,
  joinedSeq: r.joined_seq,
  ackedSeq: r.acked_seq,
  fetchedSeq: r.fetched_seq,
  readSeq: r.read_seq,
  routedSeq: r.routed_seq,
});

export interface MessageRow {
  group_id: number;
  seq: number;
  id: string;
  sender_id: number;
  body: string;
  source: MessageSource;
  client_msg_id: string | null;
  audience: Audience;
  created_at: number;
  urgent?: number;
}
export const toMessage = (r: MessageRow): StoredMessage => ({
  groupId: r.group_id,
  seq: r.seq,
  id: r.id,
  senderId: r.sender_id,
  body: r.body,
  source: r.source,
  clientMsgId: r.client_msg_id,
  audience: r.audience,
  createdAt: r.created_at,
  ...(r.urgent ? { urgent: true } : {}),
});

export interface OutboundRow {
  id: number;
  kind: OutboundSms['kind'];
  to_phone: string;
  from_addr: string;
  text: string;
  group_id: number | null;
  seq: number | null;
  user_id: number | null;
  ignore_opt_out: number;
  state: OutboundSms['state'];
  encoding: string | null;
  segments: number | null;
  gateway_ref: string | null;
  gateway_session?: string | null;
  attempts: number;
  error: string | null;
  created_at: number;
  updated_at: number;
  /** Held for a digest (1) or not (0). */
  digest?: number;
  /** The node that claimed it last (its lease holder while it is in `submitting`). */
  claimed_by?: string | null;
}
export const toOutbound = (r: OutboundRow): OutboundSms => ({
  id: r.id,
  kind: r.kind,
  toPhone: r.to_phone,
  fromAddr: r.from_addr,
  text: r.text,
  groupId: r.group_id,
  seq: r.seq,
  userId: r.user_id,
  ignoreOptOut: r.ignore_opt_out === 1,
  state: r.state,
  encoding: r.encoding,
  segments: r.segments,
  gatewayRef: r.gateway_ref,
  gatewaySession: r.gateway_session ?? null,
  claimedBy: r.claimed_by ?? null,
  attempts: r.attempts,
  error: r.error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface TrailRow {
  group_id: number;
  user_id: number;
  seq_from: number;
  seq_to: number;
  rung: TrailEntry['rung'];
  outcome: string;
  reason: string;
  at: number;
}
export const toTrail = (r: TrailRow): TrailEntry => ({
  groupId: r.group_id,
  userId: r.user_id,
  seqFrom: r.seq_from,
  seqTo: r.seq_to,
  rung: r.rung,
  outcome: r.outcome,
  reason: r.reason,
  at: r.at,
});
