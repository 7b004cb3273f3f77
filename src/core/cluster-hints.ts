// What a node does with another node's hints: read the new part of a group's log for its own sockets,
// drop stale member lists, apply membership changes to its connections. Its own hints come back to it
// through the bus and are ignored: its own fan-out already did all of that.
import type { ClusterTail } from './cluster-tail.ts';
import type { MemberCache } from './member-cache.ts';
import type { ClusterHint } from './ports/cluster-bus.ts';

export interface PeerHintDeps {
  node: string;
  tail: ClusterTail;
  members: MemberCache;
  /** The store's cached session and sender reads (src/store/cached). */
  reads: { invalidateGroup(groupId: number): void; invalidateAll(): void };
  membership: (hint: Extract<ClusterHint, { kind: 'membership' | 'renamed' }>) => Promise<void>;
  log: { warn: (o: object, msg: string) => void };
}

export function peerHints(d: PeerHintDeps): (hint: ClusterHint, fromNode: string) => void {
  return (hint, fromNode) => {
    if (fromNode === d.node) return;
    switch (hint.kind) {
      case 'committed':
        d.tail.committed(hint.groupId, hint.seq);
        return;
      case 'members':
        if (hint.groupId === null) {
          d.members.invalidateAll(true);
          d.reads.invalidateAll();
        } else {
          d.members.invalidate(hint.groupId, true);
          d.reads.invalidateGroup(hint.groupId);
        }
        return;
      case 'membership':
      case 'renamed':
        d.membership(hint).catch((e) =>
          d.log.warn({ err: e, hint }, 'applying a membership change from another node failed'),
        );
        return;
    }
  };
}
