// The live rung as the core sees it: a port the core owns and channels/live implements. The core frames
// a message once and hands the same frame to every member's connections; the ack deadlines decide when
// an unacknowledged range falls down the ladder.

/** A member's unacked range (fromSeq, toSeq] whose deadline passed without progress. */
export interface AckTimeout {
  userId: number;
  groupId: number;
  fromSeq: number;
  toSeq: number;
  /** When this deadline was armed (the oldest unacked frame, or the last progress). */
  armedAt: number;
}

/** Ack deadlines per member and group (not per message): one deadline set by the oldest unacked frame. */
export interface AckDeadlines {
  /** A message was written (or is waiting) for the member's live connections. */
  sent(userId: number, groupId: number, seq: number, ackedSeq: number, now: number): void;
  /** A cumulative ack; true when it moved the member's cursor. */
  acked(userId: number, groupId: number, seq: number): boolean;
  /** Whether earlier messages of the group still wait for this member's ack. */
  pending(userId: number, groupId: number): boolean;
  /** Forgets a member's pending state (removed from the group). */
  forget(userId: number, groupId: number): void;
  /** The ranges whose deadline passed without progress; each is returned once. */
  expire(now: number): AckTimeout[];
}

export interface LiveDelivery {
  /**
   * Writes a framed message to every connection of the member that follows the group, in seq order (a
   * connection that is behind reads the log first). With `track`, the ack deadline starts even when no
   * socket is open (a member reconnecting gets the ack timeout to resume). Returns how many connections.
   */
  deliver(
    userId: number,
    groupId: number,
    seq: number,
    frame: string,
    ackedSeq: number,
    track: boolean,
    now: number,
  ): number;
  /** The member is live again after a restart: each of their connections reads the group's log. */
  catchUp(userId: number, groupId: number): void;
  /**
   * Whether the member has a connection that follows the group, opened after `since` and holding no
   * unacked frame older than that: a client that came back (after a cut, a blackhole, a restart) and is
   * catching up on a range whose deadline belonged to its old socket.
   */
  freshSince(userId: number, groupId: number, since: number): boolean;
  /** Closes the member's connections holding unacked frames older than `olderThan` (half-open). */
  closeUnresponsive(userId: number, olderThan: number): number;
  /** Live connections the member has on this node (presence counts those on every node). */
  localConnections(userId: number): number;
  /** Groups that at least one connection on this node follows. */
  followedGroups(): Set<number>;
  /** The lowest seq written so far to a connection on this node following the group; undefined if none. */
  lowestSent(groupId: number): number | undefined;
  /**
   * A message another node committed, for the member's connections on this node: written directly to a
   * connection that is in step and has been open longer than `settledBefore` allows (so no node can have
   * routed it elsewhere meanwhile), else read from the log (which marks what a text already delivered).
   * The ack deadline starts only for a frame written here; a log read arms its own. Returns whether a
   * connection on this node follows the group.
   */
  deliverFromPeer(
    userId: number,
    groupId: number,
    seq: number,
    frame: string,
    ackedSeq: number,
    track: boolean,
    now: number,
    settledBefore: number,
  ): boolean;
}
