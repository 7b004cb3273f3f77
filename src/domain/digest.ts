// The text of a digest: the messages of one group that fell to SMS for a member within the digest
// window, as one text ("3 new in Hiking club - Ann: ...; Bo: ..."), cut to the segment cap with the
// inbox link for the rest. GSM-7 wherever the messages allow it: one character outside it doubles the cost.
import { analyze, truncateToSegments } from './sms/segments.ts';

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
  const en = `${n} new in ${tag} - ${o.items.map((i) => `${i.sender}: ${i.body}`).join('; ')}`;
  // Chinese framing costs UCS-2 (70 characters a segment instead of 160): a Chinese reader gets it only
  // when the messages need UCS-2 anyway; otherwise the digest stays GSM-7.
  const cheap =
    o.lang === 'en' || analyze(en, { smartSubstitution: limits.smartSubstitution }).encoding === 'gsm7';
  const full = cheap
    ? en
    : `「${tag}」${n}条新消息：${o.items.map((i) => `${i.sender}：${i.body}`).join('；')}`;
  return truncateToSegments(full, limits.maxSegments, ` ... ${limits.inboxUrl}`, {
    smartSubstitution: limits.smartSubstitution,
  }).text;
}
