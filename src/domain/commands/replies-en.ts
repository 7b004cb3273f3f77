// English reply texts. Kept short and within the GSM-7 alphabet: one non-GSM character doubles an SMS's cost.
import { MAX_GROUP_NAME_LENGTH } from './command.ts';
import type { MemberRole, Templates } from './replies.ts';

// A members list longer than this is cut, so LIST in a big group costs a few SMS, not dozens.
export const MEMBERS_SHOWN = 20;
// Text echoed back from the sender (a bad phone, an app name) is cut to this many code points.
export const ECHO_MAX = 30;

export function clip(s: string, max = ECHO_MAX): string {
  const cps = [...s];
  return cps.length > max ? cps.slice(0, max).join('') + '...' : s;
}

// The first MEMBERS_SHOWN members and how many more there are. `total` may exceed the list given.
export function firstMembers<M>(members: M[], total: number): { shown: M[]; more: number } {
  const shown = members.slice(0, MEMBERS_SHOWN);
  return { shown, more: Math.max(total, members.length) - shown.length };
}

const q = (group: string): string => `"${group}"`;

const ROLE: Record<MemberRole, string> = { owner: ' (owner)', admin: ' (admin)', member: '' };

const list = (label: string, phones: string[]): string[] =>
  phones.length > 0 ? [`${label}: ${phones.join(', ')}`] : [];

const SMS_MODE = {
  normal: 'texts when you are not online',
  never: 'no texts; messages wait in your inbox',
  urgent_only: 'texts only for urgent messages',
  always: 'every message by text',
} as const;

const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;

export const en: Templates = {
  prefs_set: (r) => {
    const s = r.setting;
    const what =
      s.what === 'sms'
        ? SMS_MODE[s.mode]
        : s.what === 'mute'
          ? s.on
            ? 'muted: history only, no texts or reminders. UNMUTE to undo'
            : 'unmuted'
          : s.what === 'digest'
            ? s.on
              ? 'digest on: texts come together, one per window'
              : 'digest off'
            : s.what === 'quiet'
              ? `quiet hours ${hh(s.start)}-${hh(s.end)} (${s.zone}); urgent messages still come`
              : 'quiet hours off';
    return `${q(r.group)}: ${what}.`;
  },
  invalid_quiet: () =>
    'Quiet hours: QUIET 22-7 (hours 0-23), optionally a zone: QUIET 22-7 Europe/Berlin. QUIET OFF ends them.',
  budget_spent: (r) =>
    `${q(r.group)}: the SMS budget for this ${r.period} is spent. Members get the inbox and reminders until it resets.`,
  created: (r) =>
    `Group ${q(r.group)} created. Text ${r.address} to post to it. To invite: G <phone> to ${r.address}.`,
  help_service: () =>
    'Qun: CREATE <name> starts a group. STOP ends all texts, START resumes. HELP shows this.',
  help_group: (r) =>
    `${q(r.group)}: text ${r.address} to post. Commands to ${r.address}: G <phone> invite, LIST, QUIT, ` +
    'DEL <phone> remove, ADMIN <phone>, NAME <new name>. STOP ends all texts.',
  invitation: (r) =>
    `${r.inviter} invited you to ${q(r.group)}. Reply Y to ${r.address} to join, N to decline.`,
  added: (r) =>
    `${r.inviter} added you to ${q(r.group)}. Text ${r.address} to post, QUIT to leave. STOP ends all texts.`,
  invite_report: (r) => {
    const parts = [
      ...list('Invited', r.invited),
      ...list('Added', r.added),
      ...list('Already in', r.already),
      ...list('Invalid numbers', r.invalid),
      ...list(`Group full (max ${r.cap})`, r.refused_cap),
      ...list('Not invited now (daily invitation limit)', r.rate_limited ?? []),
      ...list('Opted out of texts', r.opted_out),
      ...list('Not texted (premium, satellite or other region)', r.not_allowed),
    ];
    return `Invites to ${q(r.group)}. ${parts.length > 0 ? parts.join('. ') : 'Nobody was invited'}.`;
  },
  joined: (r) => `You joined ${q(r.group)}. Text ${r.address} to post, QUIT to leave.`,
  declined: (r) => `You declined ${q(r.group)}.`,
  no_invitation: () => 'You have no pending invitation here.',
  removed: (r) => `${r.phone} was removed from ${q(r.group)}.`,
  removed_notice: (r) => `You were removed from ${q(r.group)}.`,
  not_member_phone: (r) => `${clip(r.phone)} is not a member of this group.`,
  admin_granted: (r) => `${r.phone} is now an admin of ${q(r.group)}.`,
  admin_notice: (r) => `You are now an admin of ${q(r.group)}.`,
  left: (r) => `You left ${q(r.group)}.`,
  owner_notice: (r) => `You are now the owner of ${q(r.group)}.`,
  members: (r) => {
    const { shown, more } = firstMembers(r.members, r.total);
    const names = shown.map((m) => m.phone + ROLE[m.role]);
    if (more > 0) names.push(`+${more} more`);
    return `${q(r.group)}, ${r.total} members: ${names.join(', ')}`;
  },
  renamed: (r) => `Group ${q(r.old)} is now ${q(r.name)}.`,
  not_allowed: (r) => `Only ${r.need === 'owner' ? 'the owner' : 'admins'} of ${q(r.group)} can do that.`,
  // Identical for unknown groups and non-members, so probing an address reveals nothing.
  no_such_group: () => 'You are not in a group at this number.',
  unknown_command: () => 'Unknown command. Text HELP for the list.',
  unknown_app: (r) => `Unknown app: ${clip(r.app)}.`,
  too_long: (r) => `Not sent: messages are ${r.max} characters max.`,
  invalid_name: (r) =>
    r.reason === 'missing_name'
      ? 'Add the group name after the command.'
      : `Group name too long: ${MAX_GROUP_NAME_LENGTH} characters max.`,
  invalid_phone: (r) => `Not a valid phone number: ${clip(r.input)}`,
  stopped: () => 'Qun: you will get no more texts. Text START to resume.',
  started: () => 'Qun: texts are back on. Text STOP to end them.',
  announce_only_admins: (r) => `${q(r.group)} is announcement-only: your text went to the admins only.`,
  signin_code: (r) => `Your Qun sign-in code is ${r.code}. It expires in ${r.minutes} min. Do not share it.`,
  confirm_needed: (r) => `${q(r.group)}: reply CONFIRM ${r.code} within ${r.minutes} min to ${r.action}.`,
  confirm_failed: (r) => `${q(r.group)}: that code is wrong or expired; nothing was changed.`,
  confirm_locked: (r) =>
    `${q(r.group)}: too many wrong codes. Changes by text are paused for ${r.minutes} min; use the app.`,
  create_limit: (r) => `You have created ${r.max} groups today, the most allowed. Try again tomorrow.`,
  group_full: (r) => `${q(r.group)} is full (${r.cap} members); ask an admin to make room.`,
  reminder: (r) => `${r.count} new message${r.count === 1 ? '' : 's'} in ${q(r.group)}: ${r.url}`,
  media_not_carried: (r) =>
    r.textSent
      ? 'Qun carries text only: the picture in your message was not passed on; the text was.'
      : 'Qun carries text only: your picture was not passed on. Please send it as text.',
};
