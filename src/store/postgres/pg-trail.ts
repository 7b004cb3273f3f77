// Reads of the delivery trail that answer "how did this member get that message" on PostgreSQL.
import type { DeliveryStore } from '../store.ts';
import { type Db, rows } from './pg-db.ts';

export function pgTrailReads(db: Db): Pick<DeliveryStore, 'inboxConfirmed'> {
  return {
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
