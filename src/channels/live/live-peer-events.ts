// Membership changes made through another node, for the live connections on this one. The hint says
// only who and which group; the rest is read from the store, so a hint that arrives late still starts a
// member at their own cursor (nothing between the join and the hint is skipped), and one that is lost
// is made good by the orphan sweep, which hints the join again for a live member whose range is stuck.
import type { MembershipEvents } from '../../core/membership-service.ts';
import type { ClusterBus, ClusterHint } from '../../core/ports/cluster-bus.ts';
import { encodeFrame } from '../../domain/live-protocol.ts';
import type { Store } from '../../store/store.ts';
import type { LiveHub } from './live-hub.ts';

/** This node's events, also hinted to the other nodes. */
export function hintedMembershipEvents(local: MembershipEvents, bus: ClusterBus): MembershipEvents {
  return {
    joined(userId, group, role) {
      local.joined(userId, group, role);
      bus.publish({ kind: 'membership', groupId: group.id, userId, change: 'joined' });
    },
    left(userId, groupId) {
      local.left(userId, groupId);
      bus.publish({ kind: 'membership', groupId, userId, change: 'left' });
    },
    invited(userId, group) {
      local.invited?.(userId, group);
      bus.publish({ kind: 'membership', groupId: group.id, userId, change: 'invited' });
    },
    renamed(group) {
      local.renamed(group);
      bus.publish({ kind: 'renamed', groupId: group.id });
    },
  };
}

type PeerHint = Extract<ClusterHint, { kind: 'membership' | 'renamed' }>;

/** Applies another node's membership hint to the connections on this node. */
export async function applyPeerMembership(hub: LiveHub, store: Store, hint: PeerHint): Promise<void> {
  const group = await store.groups.byId(hint.groupId);
  if (!group) return;
  if (hint.kind === 'renamed') {
    hub.notifyGroup(group.id, encodeFrame({ t: 'group', g: group.id, event: 'renamed', name: group.name }));
    return;
  }
  if (hub.connections(hint.userId).size === 0 && hint.change !== 'left') return;
  const members = encodeFrame({ t: 'group', g: group.id, event: 'members' });
  if (hint.change === 'left') {
    const m = await store.groups.member(group.id, hint.userId);
    // Joined again since: the hint is stale.
    if (m?.state === 'active') return;
    hub.unfollow(hint.userId, group.id, encodeFrame({ t: 'group', g: group.id, event: 'removed' }));
    hub.notifyGroup(group.id, members);
    return;
  }
  if (hint.change === 'invited') {
    hub.notify(hint.userId, encodeFrame({ t: 'group', g: group.id, event: 'invited', name: group.name }));
    return;
  }
  const m = await store.groups.member(group.id, hint.userId);
  if (m?.state !== 'active') return;
  let fresh = false;
  for (const conn of hub.connections(hint.userId)) {
    if (!conn.groups.has(group.id)) {
      conn.groups.set(group.id, { sent: m.ackedSeq, catchingUp: false });
      fresh = true;
    }
    hub.startCatchUp(conn, group.id);
  }
  if (fresh) {
    hub.notify(
      hint.userId,
      encodeFrame({ t: 'group', g: group.id, event: 'joined', name: group.name, lastSeq: group.lastSeq }),
    );
    hub.notifyGroup(group.id, members);
  }
}
