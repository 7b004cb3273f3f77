// The text of a digest: the messages of one group that fell to SMS for a member within the digest
// window, as one text ("3 new in Hiking club - Ann: ...; Bo: ..."), cut to the segment cap with the
// inbox link for the rest. GSM-7 punctuation only in English: one dash outside it would double the cost.
import { truncateToSegments } from './sms/segments.ts';

export interface DigestItem {
  sender: string;
  body: string;
}

export function digestText(
  o: { groupName: string; groupNumber?: string | undefined; items: DigestItem[]; lang: 'en' | 'zh' },
  limits: { maxSegments: number; inboxUrl: string; smartSubstitution: boolean },
): string {
  const tag = o.groupNumber ? `${o.groupName} #${o.groupNumber}` : o.groupName;
  const n = o.items.length;
  const full =
    o.lang === 'zh'
      ? `「${tag}」${n}条新消息：${o.items.map((i) => `${i.sender}：${i.body}`).join('；')}`
      : `${n} new in ${tag} - ${o.items.map((i) => `${i.sender}: ${i.body}`).join('; ')}`;
  return truncateToSegments(full, limits.maxSegments, ` ... ${limits.inboxUrl}`, {
    smartSubstitution: limits.smartSubstitution,
  }).text;
}
