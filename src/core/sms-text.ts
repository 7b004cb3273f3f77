// How a group message reads as a text: a short group tag, the sender, the body; cut to the segment cap
// with a link to the inbox, so that one message never costs more than QUN_SMS_MAX_SEGMENTS.

import type { GroupInfo } from '../domain/group.ts';
import { personLabel } from '../domain/names.ts';
import { analyze, truncateToSegments } from '../domain/sms/segments.ts';
import type { StoredMessage, User } from '../store/store.ts';

const TAG_MAX = 12;

export function groupMessageText(
  o: { groupName: string; groupNumber?: string | undefined; senderLabel: string; body: string },
  limits: { maxSegments: number; inboxUrl: string; smartSubstitution: boolean },
): string {
  const tag =
    [...o.groupName].length > TAG_MAX ? `${[...o.groupName].slice(0, TAG_MAX - 1).join('')}.` : o.groupName;
  // With one plain number for every group, the tag's number is how a member tells groups apart.
  const full = o.groupNumber
    ? `[${tag} #${o.groupNumber}] ${o.senderLabel}: ${o.body}`
    : `[${tag}] ${o.senderLabel}: ${o.body}`;
  return truncateToSegments(full, limits.maxSegments, ` ... ${limits.inboxUrl}`, {
    smartSubstitution: limits.smartSubstitution,
  }).text;
}

/** The sender as a text shows them: see personLabel (a name alone could impersonate a number). */
export function senderLabel(u: { displayName: string | null; phone: string }): string {
  return personLabel(u);
}

/** Segments one member's text of a group message costs (the same for every member). */
export function messageSegments(
  group: GroupInfo,
  msg: StoredMessage,
  sender: User,
  d: {
    singleNumberMode: boolean;
    sms: { maxSegments: number; inboxUrl: string; smartSubstitution: boolean };
  },
): number {
  const text = groupMessageText(
    {
      groupName: group.name,
      groupNumber: d.singleNumberMode ? group.groupNumber : undefined,
      senderLabel: senderLabel(sender),
      body: msg.body,
    },
    d.sms,
  );
  return analyze(text, { smartSubstitution: d.sms.smartSubstitution }).segments;
}
