// How a member got a message (the trail's inbox confirmations) and the live rung taking back texts not
// yet sent, on PostgreSQL.
import { CANCEL_REASON } from '../rules/cancel-rules.ts';
import type { DeliveryStore } from '../store.ts';
import { type Db, rows } from './pg-db.ts';

export function pgVia(db: Db): Pick<DeliveryStore, 'inboxConfirmed' | 'takeBackTexts'> {
  return {
    async takeBackTexts(groupId, userId, afterSeq, upToSeq, now) {
      if (upToSeq <= afterSeq) return [];
      const r = await rows<{ seq: number }>(
        db,
        `UPDATE outbound_sms SET state = 'cancelled', error = $1, updated_at = $2
         WHERE group_id = $3 AND user_id = $4 AND kind = 'group_message' AND seq > $5 AND seq <= $6 AND state = 'queued'
         RETURNING seq`,
        [CANCEL_REASON.takenBack, now, groupId, userId, afterSeq, upToSeq],
      );
      return r.map((x) => x.seq).sort((a, b) => a - b);
    },
    async inboxConfirmed(groupId, userId, afterSeq, upToSeq) {
      return rows<{ seqFrom: number; seqTo: number }>(
        db,
        `SELECT seq_from AS "seqFrom", seq_to AS "seqTo" FROM trail
         WHERE group_id = $1 AND user_id = $2 AND seq_to > $3 AND seq_from < $4 AND rung = 'inbox' AND outcome = 'confirmed'
         ORDER BY seq_from`,
        [groupId, userId, afterSeq, upToSeq],
      );
    },
  };
}
