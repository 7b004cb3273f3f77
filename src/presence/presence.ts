// Who can be reached how, right now. Presence is a hint, never the truth: the log and the cursors are,
// so a stale answer costs a fallback or a delay, never a message.
import type { MemberPresence } from '../domain/routing.ts';

export interface PresenceRegistry {
  /** Presence of each user; users without an entry are neither live nor web-online. */
  snapshot(userIds: readonly number[], now: number): Promise<Map<number, MemberPresence>>;
  /** A live connection of the user opened (+1) or closed (-1) on this node. */
  liveChanged(userId: number, delta: 1 | -1): void;
  /** The user's mobile inbox fetched just now. */
  webFetched(userId: number, now: number): void;
  close(): Promise<void>;
}
