// How a member got a message (the trail's inbox confirmations) and the live rung taking back texts not
// yet sent, on SQLite.
import type { Database } from 'better-sqlite3';
import { CANCEL_REASON } from '../rules/cancel-rules.ts';
import type { DeliveryStore } from '../store.ts';

export function sqliteVia(db: Database): Pick<DeliveryStore, 'inboxConfirmed' | 'takeBackTexts'> {
  const confirmed = db.prepare<[number, number, number, number], { seqFrom: number; seqTo: number }>(
    `SELECT seq_from AS seqFrom, seq_to AS seqTo FROM trail
     WHERE group_id = ? AND user_id = ? AND seq_to > ? AND seq_from < ? AND rung = 'inbox' AND outcome = 'confirmed'
     ORDER BY seq_from`,
  );
  const takeBack = db.prepare<[string, number, number, number, number, number], { seq: number }>(
    `UPDATE outbound_sms SET state = 'cancelled', error = ?, updated_at = ?
     WHERE group_id = ? AND user_id = ? AND kind = 'group_message' AND seq > ? AND seq <= ? AND state = 'queued'
     RETURNING seq`,
  );
  return {
    async takeBackTexts(groupId, userId, afterSeq, upToSeq, now) {
      if (upToSeq <= afterSeq) return [];
      return takeBack
        .all(CANCEL_REASON.takenBack, now, groupId, userId, afterSeq, upToSeq)
        .map((r) => r.seq)
        .sort((a, b) => a - b);
    },
    async inboxConfirmed(groupId, userId, afterSeq, upToSeq) {
      return confirmed.all(groupId, userId, afterSeq, upToSeq);
    },
  };
}
