// Hints between the nodes of one installation: "group G committed up to seq S", "group G's members
// changed", "member M joined or left group G". A hint only saves latency: the database is the truth, and
// every node also polls the groups its sockets follow, so a hint that is lost (a dropped subscriber, a
// restarted Redis) costs a poll interval, never a message. On one node the bus is local: nothing to send.

export type ClusterHint =
  /** Messages up to `seq` are committed in group `groupId` (sent after the commit). */
  | { kind: 'committed'; groupId: number; seq: number }
  /** The group's active members or their settings changed (null: any group's): member caches drop them. */
  | { kind: 'members'; groupId: number | null }
  /** A member's live connections must follow (joined) or stop following (left) the group. */
  | { kind: 'membership'; groupId: number; userId: number; change: 'joined' | 'left' | 'invited' }
  /** The group was renamed (live clients are told). */
  | { kind: 'renamed'; groupId: number };

export interface ClusterBus {
  /** This node's id (hints it published itself come back to it; handlers may skip them). */
  readonly node: string;
  /** Subscribes; `onHint` gets every hint published by any node, this one included. */
  start(onHint: (hint: ClusterHint, fromNode: string) => void): Promise<void>;
  /** Fire and forget: never throws, never waits for the network. */
  publish(hint: ClusterHint): void;
  close(): Promise<void>;
}
