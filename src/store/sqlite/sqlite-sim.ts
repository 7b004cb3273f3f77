// The simulated phones' inboxes on SQLite, written in the same transaction that marks a text sent.
import type { Database } from 'better-sqlite3';
import type { OutboundSms, SimStore } from '../store.ts';

export function sqliteSim(db: Database): SimStore {
  const insert = db.prepare(
    'INSERT INTO sim_texts (outbound_id, phone, from_addr, text, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (outbound_id) DO NOTHING',
  );
  const mark = db.prepare(
    `UPDATE outbound_sms SET state = 'delivered', gateway = 'sim', gateway_ref = ?, encoding = ?, segments = ?, updated_at = ?
     WHERE id = ?`,
  );
  const deliver = db.transaction((o: OutboundSms, r: { encoding: string; segments: number }, now: number) => {
    insert.run(o.id, o.toPhone, o.fromAddr, o.text, now);
    mark.run(`sim-${o.id}`, r.encoding, r.segments, now, o.id);
  });
  return {
    async deliver(o, r, now) {
      deliver(o, r, now);
    },
    async textsTo(phone, afterId, limit) {
      return db
        .prepare<
          [string, number, number],
          { id: number; from: string; to: string; text: string; at: number }
        >(
          'SELECT id, from_addr AS "from", phone AS "to", text, at FROM sim_texts WHERE phone = ? AND id > ? ORDER BY id LIMIT ?',
        )
        .all(phone, afterId, limit);
    },
    async phones() {
      return db
        .prepare<[], { phone: string; texts: number; lastAt: number }>(
          `SELECT phone, sum(is_text) AS texts, max(at) AS lastAt FROM (
             SELECT phone, at, 1 AS is_text FROM sim_texts UNION ALL SELECT phone, created_at AS at, 0 AS is_text FROM users
           ) GROUP BY phone ORDER BY max(at) DESC LIMIT 200`,
        )
        .all();
    },
  };
}
