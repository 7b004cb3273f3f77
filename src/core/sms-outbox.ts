// The texts one inbound text causes (replies, notices, invitations), collected and queued together,
// and the small constants of the SMS command replies.
import type { Lang } from '../domain/commands/command.ts';
import { type Reply, reply } from '../domain/commands/replies.ts';
import type { GroupInfo } from '../domain/group.ts';
import type { NewOutbound, User } from '../store/store.ts';
import type { InviteReport, TargetOutcome } from './membership-service.ts';

export const CONFIRM_MINUTES = 5;
export const clip = (t: string) => ([...t].length > 40 ? `${[...t].slice(0, 39).join('')}…` : t);

// HELP in single-number mode also explains how texts find their group.
export const SINGLE_NUMBER_HELP = {
  en: ' Plain texts go to the group you last used; start with #<group number> to pick another.',
  zh: ' 普通短信发到您最近使用的群；以 #群号 开头可选择其他群。',
} as const;

/** Collects the texts one inbound text causes, queued together at the end. */
export class Outbox {
  readonly items: NewOutbound[] = [];
  readonly fromAddr: string;
  constructor(fromAddr: string) {
    this.fromAddr = fromAddr;
  }
  to(
    phone: string,
    lang: Lang,
    r: Reply,
    kind: NewOutbound['kind'] = 'reply',
    fromAddr = this.fromAddr,
    groupId: number | null = null,
  ): void {
    this.items.push({
      kind,
      toPhone: phone,
      fromAddr,
      text: reply(lang, r),
      groupId,
      seq: null,
      userId: null,
    });
  }

  /** Replies to a command aimed at one member (DEL, ADMIN): to the sender, and a notice to that member. */
  targetReplies(
    r: TargetOutcome,
    user: User,
    typed: string,
    lang: Lang,
    texts: { done: (phone: string) => Reply; notice: Reply },
  ): void {
    if ('target' in r) {
      this.to(user.phone, lang, texts.done(r.target.phone));
      this.to(r.target.phone, lang, texts.notice, 'notice');
    } else if (r.error === 'invalid_phone')
      this.to(user.phone, lang, { kind: 'invalid_phone', input: typed });
    else this.to(user.phone, lang, { kind: 'not_member_phone', phone: typed });
  }

  /** Texts each invitee: how to answer (policy confirm) or that they were added (policy direct). */
  inviteTexts(group: GroupInfo, inviter: User, r: InviteReport, lang: Lang, at: string, from: string): void {
    const name = inviter.displayName ?? inviter.phone;
    // Invitations carry their group, so that in single-number mode the answer (Y/N) finds it.
    for (const u of r.invited) {
      this.to(
        u.phone,
        lang,
        { kind: 'invitation', group: group.name, inviter: name, address: at },
        'invite',
        from,
        group.id,
      );
    }
    for (const u of r.added) {
      this.to(
        u.phone,
        lang,
        { kind: 'added', group: group.name, inviter: name, address: at },
        'invite',
        from,
        group.id,
      );
    }
  }
}
