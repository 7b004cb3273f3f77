// The delivery side of the store: fall-back routes, acks and inbox answers that settle a member's
// cursor, reminders and escalations claimed per node, and the trail (its own file: the Store is large).
import type { DueReminder, FallbackRoute, NewOutbound, TrailEntry } from './store.ts';

/** What `reminded` records for one reminder. */
export interface ReminderDone {
  groupId: number;
  userId: number;
  trail: TrailEntry;
  escalateAt: number | null;
  /** The reminder's text, queued in the same transaction (a crash leaves both or neither). */
  text?: NewOutbound;
}

export interface DeliveryStore {
  /**
   * Writes fall-back routes (cursor, trail, outbound SMS) in one transaction. Returns the routes marked
   * `afterEarlier` that found an undecided range before theirs: nothing of them is written.
   */
  route(routes: FallbackRoute[]): Promise<FallbackRoute[]>;
  /** Cumulative live acks: per member cursor, trail and cancel of queued SMS commit together; answers the count cancelled. */
  ack(acks: { groupId: number; userId: number; seq: number }[], now: number): Promise<number>;
  /** Marks inbox messages fetched up to seq per group and cancels their queued SMS. */
  fetched(userId: number, upTo: { groupId: number; seq: number }[], now: number): Promise<number>;
  markRead(userId: number, groupId: number, seq: number): Promise<void>;
  /**
   * A pull is about to show these messages in the member's inbox: their texts still queued are cancelled
   * and the messages take the inbox rung (with its reminder) instead. Texts already handed to the gateway
   * are left alone (and the inbox hides those messages). Returns the seqs handed over.
   */
  showInInbox(
    userId: number,
    groupId: number,
    seqs: number[],
    now: number,
    reminderDueAt: number,
  ): Promise<number[]>;
  /**
   * Members whose unacked, unrouted range needs a decision (crash recovery). With `firstBefore`, only
   * ranges whose first message was committed before then (or was removed by retention), oldest first, at
   * most `limit` (the sweep for ranges of a node that stopped).
   */
  unrouted(opts?: {
    firstBefore: number;
    limit: number;
  }): Promise<{ groupId: number; userId: number; fromSeq: number; toSeq: number }[]>;
  /**
   * Claims up to `limit` reminders due at `now`, in due order: each membership taken is leased to this store's
   * node until now + the lease (QUN_LEASE) in the same statement, and is not returned to any claimer (this
   * node or another) until `reminded` (or a postponement) releases it or the lease expires — a node that died
   * mid-reminder leaves its rows to be taken over then. Two nodes claiming at once get disjoint sets and never
   * wait for each other's rows (FOR UPDATE SKIP LOCKED on PostgreSQL).
   */
  claimReminders(now: number, limit: number): Promise<DueReminder[]>;
  /** Records that a reminder went out: clears it and its lease, and schedules escalation if asked. */
  reminded(items: ReminderDone[]): Promise<void>;
  /**
   * claimReminders and `reminded` in one transaction, for the reminders that need no round trip: `settle`
   * answers each claimed reminder with its bookkeeping when it can be decided at once (synchronously, with
   * no I/O: a member with no push subscription and no quiet hours, reminded by text or by nothing) and with
   * undefined otherwise. The answered ones are recorded as `reminded` records them — one write of each
   * member's row, the text with its trail row — and the others stay leased to this node and are returned,
   * for the caller to push and then record with `reminded`. `settle` runs again if the transaction is retried.
   */
  remindDue(
    now: number,
    limit: number,
    settle: (r: DueReminder) => ReminderDone | undefined,
  ): Promise<{ settled: ReminderDone[]; leased: DueReminder[] }>;
  /** Claims up to `limit` escalations due at `now`, leased as claimReminders leases its rows. */
  claimEscalations(
    now: number,
    limit: number,
  ): Promise<{ groupId: number; userId: number; fromSeq: number; toSeq: number }[]>;
  /** The escalation was routed: clears it and its lease. */
  clearEscalation(groupId: number, userId: number): Promise<void>;
  trailFor(groupId: number, seq: number): Promise<TrailEntry[]>;
  /**
   * The member's inbox confirmations (trail rows inbox/confirmed) that overlap (afterSeq, upToSeq]: the
   * messages they cover reached the member through the inbox.
   */
  inboxConfirmed(
    groupId: number,
    userId: number,
    afterSeq: number,
    upToSeq: number,
  ): Promise<{ seqFrom: number; seqTo: number }[]>;
  /**
   * A live client that came back is about to be sent (afterSeq, upToSeq]: the member's texts for those
   * messages still queued are cancelled (the live rung takes them back, and a later ack timeout texts them
   * again); texts already handed to the gateway stay. Returns the seqs taken back.
   */
  takeBackTexts(
    groupId: number,
    userId: number,
    afterSeq: number,
    upToSeq: number,
    now: number,
  ): Promise<number[]>;
  addTrail(entries: TrailEntry[]): Promise<void>;
}
