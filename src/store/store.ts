// The Store interface: everything Qun keeps durably. One folder per engine implements it; the same
// contract suite (test/contract/store.contract.ts) runs against each. Every method is one transaction.
import type { GroupInfo, InvitePolicy, MemberState, Membership, Role } from '../domain/group.ts';
import type { Rung } from '../domain/routing.ts';
import type { OutboundState } from '../domain/sms/receipt-match.ts';
import type { DeliveryStore } from './delivery-store.ts';
import type {
  LeaseStore,
  MaintenanceStore,
  PolicyStore,
  PresenceStore,
  PushStore,
  SimStore,
  StatsStore,
} from './store-parts.ts';

export type { DeliveryStore, ReminderDone } from './delivery-store.ts';
export type * from './store-parts.ts';

export interface User {
  id: number;
  phone: string;
  displayName: string | null;
  smsOptedOut: boolean;
  /** The group this number last received a text from or wrote to (single-number addressing). */
  lastGroupId: number | null;
  createdAt: number;
}

export interface StoredMessage {
  groupId: number;
  seq: number;
  id: string;
  senderId: number;
  body: string;
  source: MessageSource;
  clientMsgId: string | null;
  /** 'admins': only the group's admins and the sender may see it (announcement-list replies). */
  audience: Audience;
  createdAt: number;
  /** An owner or admin marked it urgent: it overrides quiet hours, digests and "SMS only for urgent". */
  urgent?: boolean;
}
export type MessageSource = 'sms' | 'http' | 'ws';
export type Audience = 'all' | 'admins';

export interface NewMessage {
  groupId: number;
  id: string;
  senderId: number;
  body: string;
  source: MessageSource;
  clientMsgId: string | null;
  audience: Audience;
  createdAt: number;
  urgent?: boolean;
}

/** What accepting a message from a user in a group reads first; absent parts are undefined. */
export type Sender = { group: GroupInfo | undefined; user: User | undefined; member: Membership | undefined };

/** An append's answer: the stored message, and whether it was a retry of one stored earlier. */
export interface AppendResult {
  message: StoredMessage;
  duplicate: boolean;
}

export type OutboundKind = 'group_message' | 'reply' | 'code' | 'invite' | 'reminder' | 'notice';
/** A text's state (a held digest text `digested` went with the text that carried it): a domain type. */
export type { OutboundState } from '../domain/sms/receipt-match.ts';

/** One message of a digest, as the claim reads it for the composer. */
export interface DigestPart {
  seq: number;
  groupName: string;
  groupNumber: string;
  senderName: string | null;
  senderPhone: string;
  body: string;
}

/**
 * Writes the text of a digest to `toPhone` from its parts (in seq order), and says how many parts (from
 * the first) it carries whole; the rest were cut by the segment cap and are left to the inbox.
 */
export type DigestComposer = (parts: DigestPart[], toPhone: string) => { text: string; whole: number };

export interface NewOutbound {
  kind: OutboundKind;
  toPhone: string;
  fromAddr: string;
  text: string;
  groupId: number | null;
  seq: number | null;
  userId: number | null;
  /** Texts that must reach an opted-out number anyway: only the STOP confirmation. */
  ignoreOptOut?: boolean;
  /** Held until then (quiet hours, a digest window); 0 or absent means now. */
  notBefore?: number;
  /** Held for the member's digest of the group: merged with the others due by then into one text. */
  digest?: boolean;
}

export interface OutboundSms extends NewOutbound {
  id: number;
  state: OutboundState;
  encoding: string | null;
  segments: number | null;
  gatewayRef: string | null;
  /** The gateway link session (an SMPP bind) the text was submitted in; receipts match within it first. */
  gatewaySession: string | null;
  /** The node (QUN_NODE_ID) that claimed it last: while it is `submitting`, the node it is leased to. */
  claimedBy?: string | null;
  attempts: number;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What a submit recorded about a text. */
export interface SubmittedText {
  gatewayRef: string | null;
  /** The gateway's link session the submit went through (an SMPP bind), when the gateway has one. */
  gatewaySession?: string | null;
  encoding: string;
  segments: number;
}

/** A receipt's verdict on one text (settleReceipts). */
export interface ReceiptSettlement {
  id: number;
  ok: boolean;
  detail: string;
}

export interface TrailEntry {
  groupId: number;
  userId: number;
  seqFrom: number;
  seqTo: number;
  rung: Rung | 'reminder' | 'escalation';
  outcome: string;
  reason: string;
  at: number;
}

/** A routing decision that leaves the live rung: written with its trail in one transaction. */
export interface FallbackRoute {
  groupId: number;
  userId: number;
  /** Messages (seqFrom, seqTo] take this rung; routedSeq advances to seqTo. */
  seqFrom: number;
  seqTo: number;
  rung: 'inbox' | 'sms' | 'none';
  reason: string;
  at: number;
  /** For the inbox rung: when the reminder for this range falls due. */
  reminderDueAt: number | null;
  /** An escalation: texts go even for messages an inbox pull has shown (but nobody confirmed). */
  escalation?: boolean;
  /**
   * Several nodes: the route waits while the member has an earlier range no node decided yet (another
   * node's fan-out of the message before, not written yet): route() hands it back instead of writing it.
   */
  afterEarlier?: boolean;
  sms: NewOutbound[];
}

export interface MembershipChange {
  userId: number;
  state: MemberState;
  role: Role;
  invitedBy?: number | null;
}

export interface InboxRow {
  group: GroupInfo;
  membership: Membership;
  messages: StoredMessage[];
}

export interface DueReminder {
  groupId: number;
  userId: number;
  /** The unfetched inbox range (fromSeq, toSeq]. */
  fromSeq: number;
  toSeq: number;
  /** The messages of that range still stored and not sent by the member (what the inbox shows them). */
  unread: number;
  groupName: string;
  escalate: boolean;
  /** The member and the group's addresses, read by the claim itself: a pass looks nothing up per member. */
  user: User;
  appNumber: string;
  groupNumber: string;
  /** How many Web Push subscriptions the member has (none: there is nothing to look up or push). */
  pushSubscriptions: number;
  /** The member keeps quiet hours in this group (only then is the window worked out). */
  quietHours: boolean;
}

export interface UserStore {
  upsertByPhone(phone: string, now: number): Promise<User>;
  byId(id: number): Promise<User | undefined>;
  byPhone(phone: string): Promise<User | undefined>;
  setDisplayName(id: number, name: string | null): Promise<void>;
  setLastGroup(id: number, groupId: number): Promise<void>;
  setOptOut(phone: string, optedOut: boolean, now: number): Promise<User>;
  /** Records a sign-in code; returns how many were issued for the phone since `since`. */
  addSigninCode(phone: string, codeHash: string, now: number, expiresAt: number): Promise<void>;
  countSigninCodes(phone: string, since: number): Promise<number>;
  /** Consumes a matching unexpired code; wrong guesses count against the newest code (max 5). */
  consumeSigninCode(phone: string, codeHash: string, now: number): Promise<boolean>;
  createSession(tokenHash: string, userId: number, now: number, expiresAt: number): Promise<void>;
  sessionUser(tokenHash: string, now: number): Promise<User | undefined>;
  /** When a live session ends (undefined if it is unknown, revoked or expired). */
  sessionExpiry(tokenHash: string, now: number): Promise<number | undefined>;
  revokeSession(tokenHash: string, now: number): Promise<number | undefined>;
  /** Revokes every live session of a user ("sign out everywhere"); returns how many. */
  revokeAllSessions(userId: number, now: number): Promise<number>;
}

export interface GroupStore {
  /** Creates a group with its owner; the number comes from `pickNumber` until one is free. */
  create(
    g: { appNumber: string; name: string; invitePolicy: InvitePolicy; memberCap: number; ownerId: number },
    pickNumber: (attempt: number) => string,
    now: number,
  ): Promise<GroupInfo>;
  byNumber(appNumber: string, groupNumber: string): Promise<GroupInfo | undefined>;
  byId(id: number): Promise<GroupInfo | undefined>;
  /** Memberships of a user with their groups, in every state given. */
  ofUser(userId: number, states: MemberState[]): Promise<{ group: GroupInfo; membership: Membership }[]>;
  member(groupId: number, userId: number): Promise<Membership | undefined>;
  /** For each (group, user), in order: the group, the user and the membership that exist, in one read. */
  senders(keys: { groupId: number; userId: number }[]): Promise<Sender[]>;
  members(groupId: number, states: MemberState[]): Promise<Membership[]>;
  /**
   * Applies membership changes if the group's version is still `expectedVersion` (optimistic
   * concurrency across nodes); returns false on a conflict, changing nothing.
   */
  applyMembership(
    groupId: number,
    expectedVersion: number,
    changes: MembershipChange[],
    now: number,
  ): Promise<boolean>;
  version(groupId: number): Promise<number>;
  rename(groupId: number, name: string): Promise<void>;
  setPolicy(
    groupId: number,
    p: {
      invitePolicy?: InvitePolicy;
      escalateToSms?: boolean;
      memberCap?: number;
      confirmAdminSms?: boolean;
    },
  ): Promise<void>;
  /**
   * Holds a command until the sender texts back its code (one pending per phone and group). While an
   * unexpired one is pending nothing changes and it answers false, so repeats cannot text new codes.
   */
  putConfirmation(
    phone: string,
    groupId: number,
    code: string,
    command: string,
    expiresAt: number,
    now: number,
  ): Promise<boolean>;
  /**
   * Takes the pending command if the code matches and has not expired. A wrong code (or none pending)
   * drops it and records a failure for the phone and group, in the same transaction.
   */
  takeConfirmation(phone: string, groupId: number, code: string, now: number): Promise<string | undefined>;
  /** Wrong confirmation codes from a phone for a group since a time (for the lock-out). */
  countConfirmFailures(phone: string, groupId: number, since: number): Promise<number>;
  /** Groups a user created since a time (for the per-phone cap), whoever owns them now. */
  countCreatedBy(userId: number, since: number): Promise<number>;
  /** Counts invitations sent by a user since a time (for the per-inviter daily cap). */
  countInvitesBy(userId: number, since: number): Promise<number>;
}

export interface MessageStore {
  /**
   * Appends a batch in one transaction (group commit): each message gets the next seq of its group,
   * gap-free; a message whose (group, sender, clientMsgId) exists is not stored again and the
   * earlier one is returned with duplicate=true. Durable when the promise resolves.
   */
  append(batch: NewMessage[]): Promise<AppendResult[]>;
  /** Messages with seq in (afterSeq, upToSeq], ascending, at most `limit`. */
  range(groupId: number, afterSeq: number, upToSeq: number, limit: number): Promise<StoredMessage[]>;
  byId(id: string): Promise<StoredMessage | undefined>;
}

export interface OutboundStore {
  /** The new texts' ids; 0 for a group message the member already has a live text for (not queued again). */
  enqueue(items: NewOutbound[], now: number): Promise<number[]>;
  /**
   * Claims up to `limit` queued texts (state → submitting), skipping opted-out numbers (→ cancelled). A due
   * digest text takes every other queued digest text of its member and group along, in the same
   * transaction (they become `digested`, carried by it), and its text becomes `compose`'s.
   */
  claim(limit: number, now: number, compose?: DigestComposer): Promise<OutboundSms[]>;
  /**
   * Just before a claimed text goes to the gateway: the reason it must not go any more (the member left
   * the group, the number opted out), in which case it is cancelled; undefined when it should go. It is
   * also the fence between nodes: a text no longer leased to this node (another took it over) must not go
   * (CANCEL_REASON.gone, nothing changes); one that is, has its lease extended to now + the lease, so that
   * nobody can take it over while this node hands it to the gateway.
   */
  recheck(id: number, now: number): Promise<string | undefined>;
  /** Every text in `submitting` (in flight now, or left by a process that died), for the dashboard. */
  inDoubt(): Promise<OutboundSms[]>;
  /**
   * Takes over the texts in `submitting` whose submit outcome nobody is going to record: those whose
   * lease expired at `now` (their node died, or lost the database for a whole lease), and with `own` (at
   * start-up, when this node knows it has nothing in flight) this node's own from before its restart. A
   * live node's unexpired in-flight texts are never taken. The rows taken are leased to this node.
   */
  takeOverInDoubt(now: number, own: boolean): Promise<OutboundSms[]>;
  /** Extends the lease of every text this node has in `submitting` (its heartbeat); returns how many. */
  renewLeases(now: number): Promise<number>;
  markSubmitted(id: number, r: SubmittedText, now: number): Promise<void>;
  /** The same for many texts in one transaction (the queue's group commit). */
  markSubmittedMany(items: (SubmittedText & { id: number })[], now: number): Promise<void>;
  markFailed(id: number, error: string, now: number): Promise<void>;
  requeue(id: number, error: string, notBefore: number, now: number): Promise<void>;
  /**
   * A text this node claimed, put back unsent: the one before it to its number went into back-off, and it
   * must not overtake it. Queued again as it was, its claim not counted as an attempt.
   */
  handBack(id: number, now: number): Promise<void>;
  /**
   * Texts a receipt may belong to: submitted through `gateway` with this ref (compared ignoring case and
   * leading zeros), in any state a submit leads to, newest first, at most 20. Which one the receipt is
   * for is decided by one shared rule (domain/sms/receipt-match.ts), not by the engine.
   */
  receiptCandidates(gateway: string, gatewayRef: string): Promise<OutboundSms[]>;
  /**
   * Settles one text by its receipt: submitted → delivered (error cleared) or failed (error = detail).
   * Only from `submitted`: a final state is never moved to another. Undefined when it was not submitted.
   */
  settleReceipt(id: number, ok: boolean, detail: string, now: number): Promise<OutboundSms | undefined>;
  /**
   * settleReceipt for several receipts in one transaction (receipts come at the rate texts go), in the
   * order given: a second receipt for the same text finds it settled. The results follow the items.
   */
  settleReceipts(items: ReceiptSettlement[], now: number): Promise<(OutboundSms | undefined)[]>;
  get(id: number): Promise<OutboundSms | undefined>;
  forMessage(groupId: number, seq: number): Promise<OutboundSms[]>;
  depth(): Promise<number>;
  /** Texts of these kinds created since a time, to one number or to all (rate limits). */
  countTexts(kinds: OutboundKind[], toPhone: string | null, since: number): Promise<number>;
  /**
   * Seqs after `afterSeq` already handed to the gateway for a member: the inbox leaves them out. Texts still
   * queued are shown, and a confirmed fetch cancels them.
   */
  textedSeqs(groupId: number, userId: number, afterSeq: number): Promise<Set<number>>;
  inboundSeen(gateway: string, ref: string): Promise<boolean>;
  /** Inbound de-duplication: true the first time a gateway reference is seen. */
  firstInbound(gateway: string, ref: string, now: number): Promise<boolean>;
}

/** Where the SQLite WAL checkpoint runs (QUN_SQLITE_CHECKPOINT; sqlite/wal-checkpointer.ts). */
export type SqliteCheckpoint = 'worker' | 'auto';

export interface Store {
  readonly engine: string;
  /** Where the data lives, for the start-up log (a path or a redacted URL). */
  readonly location: string;
  users: UserStore;
  groups: GroupStore;
  messages: MessageStore;
  delivery: DeliveryStore;
  outbound: OutboundStore;
  sim: SimStore;
  push: PushStore;
  presence: PresenceStore;
  policy: PolicyStore;
  /**
   * A write that proves the store takes writes now (readiness): throws when the disk is full or read-only
   * or the database is unreachable.
   */
  probe(now: number): Promise<void>;
  maintenance: MaintenanceStore;
  stats: StatsStore;
  leases: LeaseStore;
  /** Durability settings as applied, for the durability test and the start-up log. */
  durability(): Promise<{
    synchronous: string;
    journal: string;
    /** SQLite: who copies the WAL into the database file, a worker thread or the committing call. */
    checkpoint?: SqliteCheckpoint;
  }>;
  close(): Promise<void>;
}
