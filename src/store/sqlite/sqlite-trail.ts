// Reads of the delivery trail that answer "how did this member get that message" on SQLite.
import type { Database } from 'better-sqlite3';
import type { DeliveryStore } from '../store.ts';

export function sqliteTrailReads(db: Database): Pick<DeliveryStore, 'inboxConfirmed'> {
  const confirmed = db.prepare<[number, number, number, number], { seqFrom: number; seqTo: number }>(
    `SELECT seq_from AS seqFrom, seq_to AS seqTo FROM trail
     WHERE group_id = ? AND user_id = ? AND seq_to > ? AND seq_from < ? AND rung = 'inbox' AND outcome = 'confirmed'
     ORDER BY seq_from`,
  );
  return {
    async inboxConfirmed(groupId, userId, afterSeq, upToSeq) {
      return confirmed.all(groupId, userId, afterSeq, upToSeq);
    },
  };
}
