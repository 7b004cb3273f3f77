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
  return digest(o, limits).text;
}

/**
 * The digest text and how many of its items (from the first) it carries whole; the items after those
 * are cut off by the segment cap and left to the inbox.
 */
export function digest(
  o: { groupName: string; groupNumber?: string | undefined; items: DigestItem[]; lang: 'en' | 'zh' },
  limits: { maxSegments: number; inboxUrl: string; smartSubstitution: boolean },
): { text: string; whole: number } {
  const tag = o.groupNumber ? `${o.groupName} #${o.groupNumber}` : o.groupName;
  const n = o.items.length;
  const en = (k: number) =>
    `${n} new in ${tag} - ${o.items
      .slice(0, k)
      .map((i) => `${i.sender}: ${i.body}`)
      .join('; ')}`;
  // Chinese framing costs UCS-2 (70 characters a segment instead of 160): a Chinese reader gets it only
  // when the messages need UCS-2 anyway; otherwise the digest stays GSM-7.
  const opts = { smartSubstitution: limits.smartSubstitution };
  const cheap = o.lang === 'en' || analyze(en(n), opts).encoding === 'gsm7';
  const full = (k: number) =>
    cheap
      ? en(k)
      : `「${tag}」${n}条新消息：${o.items
          .slice(0, k)
          .map((i) => `${i.sender}：${i.body}`)
          .join('；')}`;
  const cut = (k: number) => truncateToSegments(full(k), limits.maxSegments, ` ... ${limits.inboxUrl}`, opts);
  const all = cut(n);
  if (all.text === full(n)) return { text: all.text, whole: n };
  // Cut: the items that still fit whole (with room for the link) are the ones it carries.
  let whole = 0;
  while (whole + 1 < n && cut(whole + 1).text === full(whole + 1) && fitsWithLink(full(whole + 1), limits))
    whole++;
  return { text: all.text, whole: Math.max(1, whole) };
}

function fitsWithLink(
  t: string,
  limits: { maxSegments: number; inboxUrl: string; smartSubstitution: boolean },
) {
  return (
    analyze(`${t} ... ${limits.inboxUrl}`, { smartSubstitution: limits.smartSubstitution }).segments <=
    limits.maxSegments
  );
}
