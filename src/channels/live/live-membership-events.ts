// Keeps live connections in step with membership: a join starts following the group at its current
// end, a removal stops it at once (nothing more is written to that socket for the group).
import type { MembershipEvents } from '../../core/membership-service.ts';
import { encodeFrame } from '../../domain/live-protocol.ts';
import type { LiveHub } from './live-hub.ts';

export function liveMembershipEvents(hub: LiveHub): MembershipEvents {
  return {
    joined(userId, group) {
      for (const conn of hub.connections(userId)) {
        if (!conn.groups.has(group.id)) {
          conn.groups.set(group.id, {
            sent: group.lastSeq,
            catchingUp: false,
          });
        }
      }
      hub.notify(
        userId,
        encodeFrame({ t: 'group', g: group.id, event: 'joined', name: group.name, lastSeq: group.lastSeq }),
      );
      // The others' member lists are stale now: they refetch them.
      hub.notifyGroup(group.id, encodeFrame({ t: 'group', g: group.id, event: 'members' }));
    },
    left(userId, groupId) {
      hub.unfollow(userId, groupId, encodeFrame({ t: 'group', g: groupId, event: 'removed' }));
      hub.notifyGroup(groupId, encodeFrame({ t: 'group', g: groupId, event: 'members' }));
    },
    invited(userId, group) {
      hub.notify(userId, encodeFrame({ t: 'group', g: group.id, event: 'invited', name: group.name }));
    },
    renamed(group) {
      hub.notifyGroup(group.id, encodeFrame({ t: 'group', g: group.id, event: 'renamed', name: group.name }));
    },
  };
}
