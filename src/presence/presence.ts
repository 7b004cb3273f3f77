// Who can be reached how, right now. Presence is a hint, never the truth: the log and the cursors are,
// so a stale answer costs a fallback or a delay, never a message.
//
// Presence is a set of entries with an expiry (a live socket, a closed socket that may resume, an inbox
// fetch), kept where a restart finds them: a member who was live when a node stopped is "reconnecting"
// for one ack timeout after it starts, exactly as if the socket had just closed, and a member who was
// web-online stays web-online for the rest of the TTL.
import type { MemberPresence } from '../domain/routing.ts';

export interface PresenceRegistry {
  /**
   * Loads what was true when this node last stopped (its live members become reconnecting). Called once,
   * before the node serves anything.
   */
  start(): Promise<void>;
  /** Presence of each user; users without an entry are neither live nor web-online. */
  snapshot(userIds: readonly number[], now: number): Promise<Map<number, MemberPresence>>;
  /** A live connection of the user opened (+1) or closed (-1) on this node. */
  liveChanged(userId: number, delta: 1 | -1): void;
  /** The user's mobile inbox fetched just now. */
  webFetched(userId: number, now: number): void;
  /** Writes what is still pending (so a stop leaves the entries a restart needs), then stops. */
  close(): Promise<void>;
}
