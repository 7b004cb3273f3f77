// Renders a command's result as the texts its sender reads: the SMS reply, and the `text` of a
// WebSocket `cmd_result`. Wording lives in domain/commands/replies-*.ts; this only picks the reply.
import { type Reply, reply } from '../../domain/commands/replies.ts';
import type { GroupInfo } from '../../domain/group.ts';
import type { CommandResult } from './command-result.ts';

// HELP in single-number mode also explains how texts find their group.
export const SINGLE_NUMBER_HELP = {
  en: ' Plain texts go to the group you last used; start with #<group number> to pick another.',
  zh: ' 普通短信发到您最近使用的群；以 #群号 开头可选择其他群。',
} as const;

export interface RenderOptions {
  /** Where a reply tells the member to text for a group. */
  address: (g: GroupInfo) => string;
  singleNumber: boolean;
}

/** The sender's reply for a result, or undefined when the result says nothing to the sender. */
export function replyFor(r: CommandResult, address: (g: GroupInfo) => string): Reply | undefined {
  switch (r.kind) {
    case 'created':
      return { kind: 'created', group: r.group.name, address: address(r.group) };
    case 'invited':
      return {
        kind: 'invite_report',
        group: r.group.name,
        invited: r.report.invited.map((u) => u.phone),
        added: r.report.added.map((u) => u.phone),
        already: r.report.already,
        invalid: r.report.invalid,
        refused_cap: r.report.refusedCap,
        rate_limited: r.report.rateLimited,
        opted_out: r.report.optedOut,
        not_allowed: r.report.notAllowed,
        cap: r.group.memberCap,
      };
    case 'joined':
      return { kind: 'joined', group: r.group.name, address: address(r.group) };
    case 'declined':
      return { kind: 'declined', group: r.group.name };
    case 'removed':
      return { kind: 'removed', group: r.group.name, phone: r.target.phone };
    case 'admin_granted':
      return { kind: 'admin_granted', group: r.group.name, phone: r.target.phone };
    case 'left':
      return { kind: 'left', group: r.group.name };
    case 'members':
      return {
        kind: 'members',
        group: r.group.name,
        members: r.members.map((m) => ({ phone: m.phone, role: m.role })),
        total: r.members.length,
      };
    case 'renamed':
      return { kind: 'renamed', old: r.old, name: r.group.name };
    case 'help':
      return r.group
        ? { kind: 'help_group', group: r.group.name, address: address(r.group) }
        : { kind: 'help_service' };
    case 'stopped':
    case 'started':
      return { kind: r.kind };
    case 'posted':
      return r.adminsOnly && !r.duplicate ? { kind: 'announce_only_admins', group: r.group.name } : undefined;
    case 'prefs_set':
      return { kind: 'prefs_set', group: r.group.name, setting: r.setting };
    case 'empty':
    case 'unanswered':
      return undefined;
    case 'confirm_needed':
      return {
        kind: 'confirm_needed',
        group: r.group.name,
        code: r.code,
        action: r.action,
        minutes: r.minutes,
      };
    case 'refused':
      return refusalReply(r);
  }
}

function refusalReply(r: Extract<CommandResult, { kind: 'refused' }>): Reply | undefined {
  switch (r.code) {
    case 'not_found':
      return { kind: 'no_such_group' };
    case 'forbidden':
      return { kind: 'not_allowed', group: r.group.name, need: r.need };
    case 'no_invitation':
      return { kind: 'no_invitation' };
    case 'member_cap':
      return { kind: 'group_full', group: r.group.name, cap: r.group.memberCap };
    case 'invalid_phone':
      return { kind: 'invalid_phone', input: r.input };
    case 'not_member':
      return { kind: 'not_member_phone', phone: r.input };
    case 'invalid_name':
      return { kind: 'invalid_name', reason: r.reason };
    case 'message_too_long':
      return { kind: 'too_long', max: r.max };
    case 'unknown_command':
      return { kind: 'unknown_command' };
    case 'unknown_app':
      return { kind: 'unknown_app', app: r.app };
    case 'confirm_failed':
      return { kind: 'confirm_failed', group: r.group.name };
    case 'confirm_locked':
      return { kind: 'confirm_locked', group: r.group.name, minutes: r.minutes };
    case 'group_limit':
      return { kind: 'create_limit', max: r.max };
    case 'invalid_quiet':
      return { kind: 'invalid_quiet' };
    case 'invalid_characters':
      return undefined;
  }
}

/** The reply as text, in the result's language; HELP at the single number says how groups are picked. */
export function replyText(r: CommandResult, o: RenderOptions): string | undefined {
  const rep = replyFor(r, o.address);
  if (!rep) return undefined;
  const text = reply(r.lang, rep);
  return rep.kind === 'help_service' && o.singleNumber ? text + SINGLE_NUMBER_HELP[r.lang] : text;
}
