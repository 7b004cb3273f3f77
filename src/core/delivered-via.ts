// Which messages already reached a member by a channel other than live: a text handed to the gateway,
// or an inbox item shown and confirmed. A live frame for such a message carries `via` so the client
// shows it in history without raising it as new — the one-delivery-per-member promise across channels.
import type { Via } from '../domain/live-protocol.ts';
import type { Store } from '../store/store.ts';

/** Delivered-elsewhere messages of one member in (afterSeq, upToSeq], by seq. */
export async function deliveredVia(
  store: Store,
  groupId: number,
  userId: number,
  afterSeq: number,
  upToSeq: number,
): Promise<Map<number, Via>> {
  const out = new Map<number, Via>();
  if (upToSeq <= afterSeq) return out;
  const [texted, confirmed] = await Promise.all([
    store.outbound.textedSeqs(groupId, userId, afterSeq),
    store.delivery.inboxConfirmed(groupId, userId, afterSeq, upToSeq),
  ]);
  for (const r of confirmed)
    for (let s = Math.max(r.seqFrom, afterSeq) + 1; s <= Math.min(r.seqTo, upToSeq); s++) out.set(s, 'inbox');
  // A text is the delivery even where a later inbox confirmation also covered the seq (the inbox hides it).
  for (const s of texted) if (s <= upToSeq) out.set(s, 'sms');
  return out;
}
