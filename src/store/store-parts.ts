// The Store's edge parts: the simulator's phones, push subscriptions, presence entries, operator
// maintenance, dashboard figures and delivery policy. Each is a sub-store of the Store interface (store.ts), kept here so that file stays the core.
import type { DeliveryPrefs, GroupPolicy } from '../domain/policy.ts';
import type { OutboundSms } from './store.ts';

/**
 * One presence fact about a member, with an expiry: kept in the store so that a restarted node (or, in
 * a cluster, the other nodes) finds what was true when a node stopped.
 */
export interface PresenceEntry {
  userId: number;
  /** The node that wrote it (QUN_NODE_ID). */
  node: string;
  /**
   * live: at least one socket open on that node (refreshed by the node's heartbeat); reconnecting: the
   * member's last socket there closed, and a resume is still expected; web: the inbox fetched recently.
   */
  kind: PresenceKind;
  expiresAt: number;
}
export type PresenceKind = 'live' | 'reconnecting' | 'web';

export interface PresenceStore {
  /** Writes entries (replacing the one with the same user, node and kind) and deletes `drop`, in one transaction. */
  write(put: PresenceEntry[], drop: Pick<PresenceEntry, 'userId' | 'node' | 'kind'>[]): Promise<void>;
  /** Entries that have not expired at `now`, of these users (every node), or of everyone. */
  active(now: number, userIds?: readonly number[]): Promise<PresenceEntry[]>;
  /** A node's heartbeat: its live entries now expire at `expiresAt`. */
  refresh(node: string, expiresAt: number): Promise<void>;
  /**
   * A node starts: the live entries it left (a crash, a stop) become reconnecting until `until`, exactly
   * as if those sockets had just closed. Returns how many.
   */
  restart(node: string, until: number): Promise<number>;
  /** Deletes entries that expired before `before`; returns how many. */
  sweep(before: number): Promise<number>;
}

/** What `qun export-member` hands over: every row that names the number or its user id, by table. */
export interface MemberExport {
  phone: string;
  userId: number;
  exportedAt: number;
  groups: { groupId: number; appNumber: string; groupNumber: string; name: string }[];
  tables: Record<string, Record<string, unknown>[]>;
}

/** What an erasure changed, by table: rows deleted, and rows kept but anonymised. */
export interface ErasureReport {
  userId: number;
  deleted: Record<string, number>;
  anonymised: Record<string, number>;
}

/** Operator work that is rare and table-generic (docs/deployment.md#data-protection, #retention). */
export interface MaintenanceStore {
  /** A server-wide value every node must agree on (the VAPID key pair): the first one stored wins. */
  keyOrPut(name: string, value: string, now: number): Promise<string>;
  /** A group's history retention in days; null follows QUN_RETENTION_DAYS, 0 keeps everything. */
  setRetention(groupId: number, days: number | null): Promise<void>;
  /**
   * One batch of retention: per group, deletes a prefix of at most `batch` messages older than its
   * retention and at or below every active member's settled cursor, with their trail rows and finished
   * texts, and raises the group's prunedSeq. Call until it deletes nothing.
   */
  pruneHistory(now: number, defaultDays: number, batch: number): Promise<{ groups: number; deleted: number }>;
  exportMember(phone: string): Promise<MemberExport | undefined>;
  /** Erases one number's data in one transaction (what is deleted and what anonymised: docs). */
  eraseMember(phone: string, now: number): Promise<ErasureReport | undefined>;
  close(): Promise<void>;
}

/** Figures for the dashboards: counted from the trail and the outbound queue, over a window of time. */
export interface StatsStore {
  /** Messages per time bucket and trail rung/outcome (a trail row covers seq_to − seq_from messages). */
  funnel(
    since: number,
    bucketMs: number,
    groupId: number | null,
  ): Promise<{ bucket: number; rung: string; outcome: string; n: number }[]>;
  /** Group-message texts per time bucket and queue state. */
  texts(
    since: number,
    bucketMs: number,
    groupId: number | null,
  ): Promise<{ bucket: number; state: string; n: number }[]>;
  /** Texts and segments handed to the gateway per group since a time (largest first, at most 200). */
  spend(
    since: number,
    groupId: number | null,
  ): Promise<{ groupId: number | null; name: string | null; texts: number; segments: number }[]>;
  /** Every group with its active member count (at most 1,000, newest last). */
  groups(): Promise<
    { id: number; name: string; appNumber: string; groupNumber: string; lastSeq: number; members: number }[]
  >;
}

/** Delivery policy: per-member preferences and per-group SMS budget and digest settings. */
export interface PolicyStore {
  /** Preferences of every member of the group that set any; members not in the map have the defaults. */
  prefsForGroup(groupId: number): Promise<Map<number, DeliveryPrefs>>;
  prefsOf(groupId: number, userId: number): Promise<DeliveryPrefs>;
  setPrefs(groupId: number, userId: number, prefs: DeliveryPrefs, now: number): Promise<void>;
  groupPolicy(groupId: number): Promise<GroupPolicy>;
  setGroupPolicy(groupId: number, p: GroupPolicy, now: number): Promise<void>;
  /** Segments of the group's texts (not cancelled, digests counted once) queued at or after `since`. */
  smsSpent(groupId: number, since: number): Promise<number>;
  /** True the first time it is asked for this group and period key: admins are told once per period. */
  claimBudgetNotice(groupId: number, period: string, now: number): Promise<boolean>;
  /** Moves a pending reminder to `at` (quiet hours); nothing when no reminder is pending. */
  postponeReminder(groupId: number, userId: number, at: number): Promise<void>;
}

/**
 * Named leases for work that must run on one node at a time (history retention): a lease row per name with
 * its holder and expiry. The holder is the store's node (QUN_NODE_ID); a node that dies leaves its lease to
 * expire, and the first node to ask after that takes it over. Each call is one statement: two nodes asking
 * at once get one true between them.
 */
export interface LeaseStore {
  /**
   * Takes the lease, or extends it when this node holds it already, until `until`: true when this node holds
   * it now; false while another node's lease is unexpired at `now` (nothing changes then).
   */
  hold(name: string, now: number, until: number): Promise<boolean>;
  /** Gives the lease up if this node holds it, so that another node may take it at once. */
  release(name: string): Promise<void>;
}

export interface PushSubscriptionRow {
  id: number;
  userId: number;
  endpoint: string;
  p256dh: string;
  auth: string;
}
/** The simulated phones' texts, kept with the rest so that "sent exactly once" can be checked. */
export interface SimStore {
  /** Delivers a claimed outbound text to its simulated phone and marks it submitted, atomically. */
  deliver(o: OutboundSms, r: { encoding: string; segments: number }, now: number): Promise<void>;
  textsTo(
    phone: string,
    afterId: number,
    limit: number,
  ): Promise<{ id: number; from: string; to: string; text: string; at: number }[]>;
  phones(): Promise<{ phone: string; texts: number; lastAt: number }[]>;
}
export interface PushStore {
  add(userId: number, endpoint: string, p256dh: string, auth: string, now: number): Promise<void>;
  forUser(userId: number): Promise<PushSubscriptionRow[]>;
  remove(endpoint: string): Promise<void>;
  removeForUser(userId: number, endpoint: string): Promise<boolean>;
}
