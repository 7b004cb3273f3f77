// Group and membership rules: who may do what, and who inherits a group. Pure: callers pass state in.
export type Role = 'owner' | 'admin' | 'member';
export type MemberState = 'active' | 'invited' | 'declined' | 'removed' | 'left';
export type InvitePolicy = 'confirm' | 'direct';

export interface GroupInfo {
  id: number;
  appNumber: string;
  groupNumber: string;
  name: string;
  invitePolicy: InvitePolicy;
  memberCap: number;
  escalateToSms: boolean;
  /** Membership changes sent by SMS (G, DEL, ADMIN) wait for a code texted back to the sender's phone. */
  confirmAdminSms: boolean;
  lastSeq: number;
  /** History retention removed every seq up to here (0: the log is whole). */
  prunedSeq?: number;
  createdAt: number;
}

export interface Membership {
  groupId: number;
  userId: number;
  phone: string;
  displayName: string | null;
  /** The member's number sent STOP: no SMS reaches it. */
  smsOptedOut: boolean;
  role: Role;
  state: MemberState;
  joinedAt: number | null;
  /** The group's last seq when the member joined: history before it is not theirs to read. */
  joinedSeq: number;
  ackedSeq: number;
  fetchedSeq: number;
  readSeq: number;
  routedSeq: number;
}

const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

export function hasRole(m: Pick<Membership, 'role' | 'state'> | undefined, need: Role): boolean {
  return m !== undefined && m.state === 'active' && RANK[m.role] >= RANK[need];
}

/** Owners and admins remove members; admins may not remove the owner or other admins. */
export function canRemove(actor: Membership | undefined, target: Membership | undefined): boolean {
  if (!actor || !target || actor.state !== 'active' || target.state !== 'active') return false;
  if (actor.userId === target.userId) return false;
  return RANK[actor.role] > RANK[target.role] || (actor.role === 'owner' && target.role !== 'owner');
}

/**
 * When an owner leaves: the longest-serving admin, else the longest-serving member, inherits.
 * Ties (same join time) go to the lower user id, so the choice is deterministic.
 */
export function successor(members: Membership[], leavingUserId: number): Membership | undefined {
  const rest = members.filter((m) => m.state === 'active' && m.userId !== leavingUserId);
  const byTenure = (a: Membership, b: Membership) =>
    (a.joinedAt ?? 0) - (b.joinedAt ?? 0) || a.userId - b.userId;
  return rest.filter((m) => m.role === 'admin').sort(byTenure)[0] ?? rest.sort(byTenure)[0];
}
