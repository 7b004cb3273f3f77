// Membership and group-policy writes both store engines apply: a membership change upserted over the
// row it replaces, and a policy change as one set of columns. Pure: the engine reads, these decide.
import type { GroupStore, MembershipChange } from '../store.ts';

/** The stored columns of one `memberships` row that a membership change can move. */
export interface MemberRow {
  role: string;
  state: string;
  invited_by: number | null;
  invited_at: number | null;
  joined_at: number | null;
  joined_seq: number;
  acked_seq: number;
  routed_seq: number;
  fetched_seq: number;
  read_seq: number;
  reminder_due_at: number | null;
  escalate_at: number | null;
  updated_at: number;
}

/** The MemberRow's columns, in the order memberRowValues gives them. */
export const MEMBER_COLUMNS = [
  'role',
  'state',
  'invited_by',
  'invited_at',
  'joined_at',
  'joined_seq',
  'acked_seq',
  'routed_seq',
  'fetched_seq',
  'read_seq',
  'reminder_due_at',
  'escalate_at',
  'updated_at',
] as const satisfies readonly (keyof MemberRow)[];
/** The MemberRow's values in column order (for positional parameters). */
export const memberRowValues = (r: MemberRow): unknown[] => MEMBER_COLUMNS.map((k) => r[k]);

export interface MemberPlan {
  /** insert: no row yet (the other columns take their defaults); update: the whole row as given. */
  op: 'insert' | 'update';
  row: MemberRow;
  /** A member who is no longer active gets no SMS still waiting in the queue for this group. */
  cancelQueued: boolean;
}

/** One membership change applied to the row it replaces (undefined: none yet) in a log ending at `lastSeq`. */
export function planMembership(
  existing: MemberRow | undefined,
  c: MembershipChange,
  lastSeq: number,
  now: number,
): MemberPlan {
  const invitedBy = c.invitedBy ?? null;
  const invitedAt = c.invitedBy ? now : null;
  const active = c.state === 'active';
  const cancelQueued = !active;
  if (!existing) {
    return {
      op: 'insert',
      cancelQueued,
      row: {
        role: c.role,
        state: c.state,
        invited_by: invitedBy,
        invited_at: invitedAt,
        joined_at: active ? now : null,
        // A new member's cursors start at the current end of the log: history is not theirs to receive.
        joined_seq: lastSeq,
        acked_seq: lastSeq,
        routed_seq: lastSeq,
        fetched_seq: lastSeq,
        read_seq: lastSeq,
        reminder_due_at: null,
        escalate_at: null,
        updated_at: now,
      },
    };
  }
  // (Re)joining starts the member's cursors at the current end of the log; staying active keeps them.
  const joins = active && existing.state !== 'active';
  const cursor = (old: number) => (joins ? lastSeq : old);
  return {
    op: 'update',
    cancelQueued,
    row: {
      role: c.role,
      state: c.state,
      invited_by: invitedBy ?? existing.invited_by,
      invited_at: invitedAt ?? existing.invited_at,
      joined_at: joins ? now : existing.joined_at,
      joined_seq: cursor(existing.joined_seq),
      acked_seq: cursor(existing.acked_seq),
      routed_seq: cursor(existing.routed_seq),
      fetched_seq: cursor(existing.fetched_seq),
      read_seq: cursor(existing.read_seq),
      // Leaving drops any pending reminder and escalation: nobody is left to remind.
      reminder_due_at: active ? existing.reminder_due_at : null,
      escalate_at: active ? existing.escalate_at : null,
      updated_at: now,
    },
  };
}

/** A policy change as the `groups` columns it sets; null keeps a column. Undefined: nothing to change. */
export interface PolicyColumns {
  invite_policy: string | null;
  escalate_to_sms: number | null;
  confirm_admin_sms: number | null;
  member_cap: number | null;
}

const flag = (b: boolean | undefined): number | null => (b === undefined ? null : b ? 1 : 0);

export function policyColumns(p: Parameters<GroupStore['setPolicy']>[1]): PolicyColumns | undefined {
  const cols: PolicyColumns = {
    invite_policy: p.invitePolicy || null,
    escalate_to_sms: flag(p.escalateToSms),
    confirm_admin_sms: flag(p.confirmAdminSms),
    member_cap: p.memberCap ?? null,
  };
  return Object.values(cols).every((v) => v === null) ? undefined : cols;
}
