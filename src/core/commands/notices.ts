// Texts a command sends to people other than its sender (invitations, removal/admin/owner notices),
// each written in its recipient's language: the sender's keyword says nothing about what they read.
import type { Reply } from '../../domain/commands/replies.ts';
import { reply } from '../../domain/commands/replies.ts';
import type { GroupInfo } from '../../domain/group.ts';
import { textLanguage } from '../../domain/language.ts';
import { personLabel } from '../../domain/names.ts';
import type { NewOutbound, User } from '../../store/store.ts';
import type { InviteReport } from '../membership-service.ts';

/** The typed command echoed in a confirmation request, cut so the request stays one text. */
export const clipAction = (t: string): string =>
  [...t].length > 40 ? `${[...t].slice(0, 39).join('')}…` : t;

/** A notice to one person, from the group's number. */
export function notice(
  phone: string,
  fromAddr: string,
  r: Reply,
  kind: NewOutbound['kind'] = 'notice',
  groupId: number | null = null,
): NewOutbound {
  return {
    kind,
    toPhone: phone,
    fromAddr,
    text: reply(textLanguage({ phone }), r),
    groupId,
    seq: null,
    userId: null,
  };
}

/** Texts each invitee: how to answer (policy confirm) or that they were added (policy direct). */
export function inviteTexts(
  group: GroupInfo,
  inviter: User,
  r: InviteReport,
  at: string,
  from: string,
): NewOutbound[] {
  const name = personLabel(inviter);
  // Invitations carry their group, so that in single-number mode the answer (Y/N) finds it.
  return [
    ...r.invited.map((u) =>
      notice(
        u.phone,
        from,
        { kind: 'invitation', group: group.name, inviter: name, address: at },
        'invite',
        group.id,
      ),
    ),
    ...r.added.map((u) =>
      notice(
        u.phone,
        from,
        { kind: 'added', group: group.name, inviter: name, address: at },
        'invite',
        group.id,
      ),
    ),
  ];
}
