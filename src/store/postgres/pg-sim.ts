// The simulated phones' inboxes on PostgreSQL, written in the same transaction that marks a text sent.
import type { SimStore } from '../store.ts';
import { type Db, rows, tx } from './pg-db.ts';

export function pgSim(db: Db): SimStore {
  return {
    async deliver(o, r, now) {
      await tx(db, async (c) => {
        // NOT EXISTS first: a redelivery must not burn an identity value (the inbox ids would drift from
        // the SQLite engine's); ON CONFLICT still covers a concurrent delivery of the same text.
        await c.query(
          `INSERT INTO sim_texts (outbound_id, phone, from_addr, text, at)
           SELECT $1::bigint, $2::text, $3::text, $4::text, $5::bigint
           WHERE NOT EXISTS (SELECT 1 FROM sim_texts WHERE outbound_id = $1) ON CONFLICT (outbound_id) DO NOTHING`,
          [o.id, o.toPhone, o.fromAddr, o.text, now],
        );
        await c.query(
          `UPDATE outbound_sms SET state = 'delivered', gateway = 'sim', gateway_ref = $1, encoding = $2, segments = $3,
             updated_at = $4
           WHERE id = $5`,
          [`sim-${o.id}`, r.encoding, r.segments, now, o.id],
        );
      });
    },
    async textsTo(phone, afterId, limit) {
      return rows<{ id: number; from: string; to: string; text: string; at: number }>(
        db,
        'SELECT id, from_addr AS "from", phone AS "to", text, at FROM sim_texts WHERE phone = $1 AND id > $2 ORDER BY id LIMIT $3',
        [phone, afterId, limit],
      );
    },
    async phones() {
      // Ties on the last time come out as SQLite orders them: by phone descending, bytewise (its BINARY
      // collation, hence "C" rather than the server's locale).
      return rows<{ phone: string; texts: number; lastAt: number }>(
        db,
        `SELECT phone, sum(is_text)::int AS texts, max(at) AS "lastAt" FROM (
           SELECT phone, at, 1 AS is_text FROM sim_texts UNION ALL SELECT phone, created_at AS at, 0 AS is_text FROM users
         ) AS seen GROUP BY phone ORDER BY max(at) DESC, phone COLLATE "C" DESC LIMIT 200`,
      );
    },
  };
}
