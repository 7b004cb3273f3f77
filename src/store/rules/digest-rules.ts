// Merging held digest texts at claim time, as both engines do it: the due text carries every other
// queued digest text of the same member and group; they are marked as carried by it.
import type { DigestComposer, DigestPart } from '../store.ts';

/** The digest's parts, read with the claimed text's own first: messages, their senders and the group. */
export const DIGEST_PARTS = `SELECT o.id, o.seq, g.name AS group_name, g.group_number, u.display_name, u.phone AS sender_phone, x.body
  FROM outbound_sms o JOIN messages x ON x.group_id = o.group_id AND x.seq = o.seq
  JOIN users u ON u.id = x.sender_id JOIN groups g ON g.id = o.group_id
  WHERE o.group_id = $g AND o.user_id = $u AND o.kind = 'group_message' AND o.digest = 1 AND o.state = 'queued'
  ORDER BY o.seq`;

export interface DigestPartRow {
  id: number;
  seq: number;
  group_name: string;
  group_number: string;
  display_name: string | null;
  sender_phone: string;
  body: string;
}

export interface DigestPlan {
  text: string;
  /** The other texts it carries. */
  carried: number[];
  /** Texts cut off by the segment cap: cancelled, so that the inbox shows them (the digest links to it). */
  left: number[];
}

/** What a claimed digest text becomes; null when it carries nothing else (it goes as it is). */
export function planDigest(
  carrierId: number,
  toPhone: string,
  rows: DigestPartRow[],
  compose: DigestComposer,
): DigestPlan | null {
  if (rows.filter((r) => Number(r.id) !== carrierId).length === 0) return null;
  const parts: DigestPart[] = rows.map((r) => ({
    seq: Number(r.seq),
    groupName: r.group_name,
    groupNumber: r.group_number,
    senderName: r.display_name,
    senderPhone: r.sender_phone,
    body: r.body,
  }));
  const d = compose(parts, toPhone);
  const ids = rows.map((r) => Number(r.id));
  const carried = ids.filter((id, i) => id !== carrierId && i < d.whole);
  const left = ids.filter((id, i) => id !== carrierId && i >= d.whole);
  return { text: d.text, carried, left };
}

export const LEFT_TO_INBOX = 'cut from the digest by the segment cap: in the inbox';

export const carriedReason = (carrierId: number) => `in digest text #${carrierId}`;
