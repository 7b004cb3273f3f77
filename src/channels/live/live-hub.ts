// Live connections on this node: which member and groups each serves, what each has been sent, and the
// writes themselves. Frames for one socket are coalesced per event-loop turn into one write; a socket
// that falls behind is caught up from the log, and one that cannot keep up is closed (its member then
// falls down the ladder by ack timeout) rather than growing the server's memory.

import type { AckDeadlines, LiveDelivery } from '../../core/ports/live-delivery.ts';
import type { PresenceRegistry } from '../../presence/presence.ts';

import type { GroupCursor, LiveConnection } from './live-connection.ts';

const MAX_PENDING = 256;
/**
 * Catch-ups reading the log at once. Each reads the store several times per page; a thousand sockets
 * catching up together (a reconnect wave, a node that restarted) would queue the store's connections
 * in front of the sends and acks that everyone is waiting for. The rest wait their turn, in order.
 */
const CATCH_UPS_AT_ONCE = 8;

export interface CatchUpSource {
  /** Writes the log's messages after `cursor.sent` to the connection, up to the group's end. */
  catchUp(conn: LiveConnection, groupId: number): Promise<void>;
}

const NO_CONNECTIONS: ReadonlySet<LiveConnection> = new Set();
const OPEN = 1;

export class LiveHub implements LiveDelivery {
  readonly #byUser = new Map<number, Set<LiveConnection>>();
  /** Highest seq seen per group on this node, so a catch-up that just ended can tell it missed one. */
  readonly #latest = new Map<number, number>();
  readonly #presence: PresenceRegistry;
  readonly #tracker: AckDeadlines;
  readonly #maxBufferedBytes: number;
  #catchUp: CatchUpSource | undefined;
  #catchUpsRunning = 0;
  readonly #catchUpsWaiting: { conn: LiveConnection; groupId: number }[] = [];

  constructor(presence: PresenceRegistry, tracker: AckDeadlines, maxBufferedBytes = 4 * 1024 * 1024) {
    this.#presence = presence;
    this.#tracker = tracker;
    this.#maxBufferedBytes = maxBufferedBytes;
  }

  setCatchUpSource(src: CatchUpSource): void {
    this.#catchUp = src;
  }

  attach(conn: LiveConnection): void {
    let set = this.#byUser.get(conn.userId);
    if (!set) {
      set = new Set();
      this.#byUser.set(conn.userId, set);
    }
    set.add(conn);
    this.#presence.liveChanged(conn.userId, 1);
  }

  detach(conn: LiveConnection): void {
    const set = this.#byUser.get(conn.userId);
    if (!set?.delete(conn)) return;
    if (set.size === 0) this.#byUser.delete(conn.userId);
    this.#presence.liveChanged(conn.userId, -1);
  }

  connections(userId: number): ReadonlySet<LiveConnection> {
    return this.#byUser.get(userId) ?? new Set();
  }

  get connectionCount(): number {
    let n = 0;
    for (const s of this.#byUser.values()) n += s.size;
    return n;
  }

  /**
   * Writes a message (already framed) to every connection of the member that follows the group.
   * Returns the number of connections it went to or that will get it by catch-up.
   */
  deliver(
    userId: number,
    groupId: number,
    seq: number,
    frame: string,
    ackedSeq: number,
    track: boolean,
    now: number,
  ): number {
    if (seq > (this.#latest.get(groupId) ?? 0)) this.#latest.set(groupId, seq);
    const set = this.#byUser.get(userId) ?? NO_CONNECTIONS;
    let n = 0;
    for (const conn of set) {
      const cur = conn.groups.get(groupId);
      if (!cur) continue;
      n++;
      if (seq <= cur.sent) continue;
      if (seq === cur.sent + 1 && !cur.catchingUp) this.writeTo(conn, groupId, seq, frame, now);
      else this.#behind(conn, cur, groupId, seq, frame, now);
    }
    // The deadline runs even with no socket open: a member who is reconnecting, or whose earlier
    // messages still wait, gets the ack timeout to resume before the message falls to inbox or SMS.
    if (track) this.#tracker.sent(userId, groupId, seq, ackedSeq, now);
    return n;
  }

  /** Writes one frame for (group, seq) and advances the connection's cursor; closes a socket that lags. */
  writeTo(conn: LiveConnection, groupId: number, seq: number, frame: string, now: number): void {
    const cur = conn.groups.get(groupId);
    if (!cur) return;
    cur.sent = seq;
    if (conn.unackedSince === 0) conn.unackedSince = now;
    if (conn.backlog > this.#maxBufferedBytes) {
      conn.socket.terminate();
      return;
    }
    conn.write(frame);
  }

  deliverFromPeer(
    userId: number,
    groupId: number,
    seq: number,
    frame: string,
    ackedSeq: number,
    track: boolean,
    now: number,
    settledBefore: number,
  ): boolean {
    if (seq > (this.#latest.get(groupId) ?? 0)) this.#latest.set(groupId, seq);
    let follows = false;
    let written = false;
    for (const conn of this.#byUser.get(userId) ?? NO_CONNECTIONS) {
      const cur = conn.groups.get(groupId);
      if (!cur) continue;
      follows = true;
      if (seq <= cur.sent) continue;
      if (conn.openedAt > settledBefore) this.startCatchUp(conn, groupId);
      else {
        if (seq === cur.sent + 1 && !cur.catchingUp) this.writeTo(conn, groupId, seq, frame, now);
        else this.#behind(conn, cur, groupId, seq, frame, now);
        written = true;
      }
    }
    if (written && track) this.#tracker.sent(userId, groupId, seq, ackedSeq, now);
    return follows;
  }

  localConnections(userId: number): number {
    return this.#byUser.get(userId)?.size ?? 0;
  }

  followedGroups(): Set<number> {
    const out = new Set<number>();
    for (const set of this.#byUser.values())
      for (const conn of set) for (const g of conn.groups.keys()) out.add(g);
    return out;
  }

  lowestSent(groupId: number): number | undefined {
    let low: number | undefined;
    for (const set of this.#byUser.values())
      for (const conn of set) {
        const cur = conn.groups.get(groupId);
        if (cur && (low === undefined || cur.sent < low)) low = cur.sent;
      }
    return low;
  }

  catchUp(userId: number, groupId: number): void {
    for (const conn of this.connections(userId)) this.startCatchUp(conn, groupId);
  }

  startCatchUp(conn: LiveConnection, groupId: number): void {
    const cur = conn.groups.get(groupId);
    if (!cur || cur.catchingUp || !this.#catchUp) return;
    cur.catchingUp = true;
    if (this.#catchUpsRunning >= CATCH_UPS_AT_ONCE) this.#catchUpsWaiting.push({ conn, groupId });
    else this.#runCatchUp(conn, groupId, cur);
  }

  #runCatchUp(conn: LiveConnection, groupId: number, cur: GroupCursor): void {
    this.#catchUpsRunning++;
    this.#catchUp!.catchUp(conn, groupId)
      .catch(() => conn.socket.terminate())
      .finally(() => {
        this.#catchUpsRunning--;
        cur.catchingUp = false;
        let again = false;
        if (conn.groups.get(groupId) === cur) {
          // What arrived live meanwhile follows what the log gave, if nothing is missing in between.
          const pending = cur.pending;
          conn.release(cur);
          for (let p = pending?.get(cur.sent + 1); p; p = pending?.get(cur.sent + 1))
            this.writeTo(conn, groupId, cur.sent + 1, p.frame, p.at);
          again = (this.#latest.get(groupId) ?? 0) > cur.sent;
        }
        // Those waiting go first; this connection, if still behind, queues after them.
        while (this.#catchUpsRunning < CATCH_UPS_AT_ONCE && this.#catchUpsWaiting.length > 0) {
          const w = this.#catchUpsWaiting.shift()!;
          const c = w.conn.groups.get(w.groupId);
          if (c?.catchingUp && w.conn.socket.readyState === OPEN) this.#runCatchUp(w.conn, w.groupId, c);
          else if (c) c.catchingUp = false;
        }
        if (again) this.startCatchUp(conn, groupId);
      });
  }

  /** A live frame for a connection that is catching up, or has a gap: kept for after its catch-up. */
  #behind(
    conn: LiveConnection,
    cur: GroupCursor,
    groupId: number,
    seq: number,
    frame: string,
    at: number,
  ): void {
    if (!cur.catchingUp) this.startCatchUp(conn, groupId);
    if (!cur.catchingUp) return;
    cur.pending ??= new Map();
    if (cur.pending.size >= MAX_PENDING) return;
    cur.pending.set(seq, { frame, at });
    cur.pendingBytes = (cur.pendingBytes ?? 0) + frame.length;
    conn.heldBytes += frame.length;
    // A catch-up waits for the socket to drain; one that stopped reading never does, and what arrives
    // meanwhile would be held for it without end. The same limit as for its socket closes it.
    if (conn.backlog > this.#maxBufferedBytes) conn.socket.terminate();
  }

  /** Stops a member's connections following a group (removed, left). */
  unfollow(userId: number, groupId: number, notice: string | undefined): void {
    for (const conn of this.connections(userId)) {
      const cur = conn.groups.get(groupId);
      if (!cur) continue;
      conn.release(cur);
      conn.groups.delete(groupId);
      if (notice) conn.write(notice);
    }
    this.#tracker.forget(userId, groupId);
  }

  /** Sends a frame to every connection on this node that follows a group (rare events: renames). */
  notifyGroup(groupId: number, frame: string): void {
    for (const set of this.#byUser.values())
      for (const conn of set) if (conn.groups.has(groupId)) conn.write(frame);
  }

  /** Sends a frame to every connection of a user (group events). */
  notify(userId: number, frame: string): void {
    for (const conn of this.connections(userId)) conn.write(frame);
  }

  freshSince(userId: number, groupId: number, since: number): boolean {
    for (const conn of this.connections(userId)) {
      const fresh = conn.openedAt > since && (conn.unackedSince === 0 || conn.unackedSince > since);
      if (fresh && conn.groups.has(groupId)) return true;
    }
    return false;
  }

  /** Closes the connections that hold unacked frames older than the ack timeout: they are half-open or frozen. */
  closeUnresponsive(userId: number, olderThan: number): number {
    let n = 0;
    for (const conn of this.connections(userId)) {
      if (conn.unackedSince !== 0 && conn.unackedSince <= olderThan) {
        conn.socket.terminate();
        this.detach(conn);
        n++;
      }
    }
    return n;
  }

  /** Closes a user's connections, or those of one session (sign-out). */
  closeUser(userId: number, sessionHash?: string): void {
    for (const conn of [...this.connections(userId)]) {
      if (sessionHash === undefined || conn.sessionHash === sessionHash) {
        conn.socket.close(4001, 'signed out');
        this.detach(conn);
      }
    }
  }

  closeAll(code: number, reason: string): void {
    for (const set of this.#byUser.values()) for (const conn of set) conn.socket.close(code, reason);
  }
}
