// Retention, member export and erasure, and server keys: written once over SqlRunner for both engines.
// Export and erasure read the table list from the database, so a table added later that names a member
// (a `user_id`, `phone`, `to_phone` or `sender_id` column) is exported and erased too.
import type { ErasureReport, MaintenanceStore, MemberExport } from '../store.ts';
import { ident, type SqlRunner } from './sql-runner.ts';

const DAY_MS = 86_400_000;
/** Columns that name a member: by user id or by number. */
const BY_USER = ['user_id', 'sender_id'];
const BY_PHONE = ['phone', 'to_phone'];
/** Secrets are never exported: a hash of a session token or sign-in code, push encryption keys. */
const SECRET = new Set(['token_hash', 'code_hash', 'p256dh', 'auth']);
/** Finished texts: nothing will change them any more, so retention may drop them with their message. */
const FINISHED = "('submitted','delivered','failed','cancelled')";

export function maintenance(r: SqlRunner, close: () => Promise<void>): MaintenanceStore {
  /** The seq up to which a member needs nothing more from the log (see docs/deployment.md#retention). */
  const settled = (() => {
    const delivered = r.greatest('acked_seq', 'fetched_seq', 'joined_seq');
    return `CASE WHEN inbox_upto > ${delivered} THEN ${delivered}
                 ELSE ${r.greatest(delivered, 'routed_seq')} END`;
  })();

  async function memberTables(): Promise<{ table: string; byUser: string[]; byPhone: string[] }[]> {
    const out = [];
    for (const table of await r.tables()) {
      const cols = await r.columns(table);
      const byUser = BY_USER.filter((c) => cols.includes(c));
      const byPhone = BY_PHONE.filter((c) => cols.includes(c));
      if (table === 'users' || byUser.length > 0 || byPhone.length > 0)
        out.push({ table: ident(table), byUser, byPhone });
    }
    return out;
  }

  const where = (t: { table: string; byUser: string[]; byPhone: string[] }) => {
    if (t.table === 'users') return { sql: 'id = ?', params: (id: number, _p: string) => [id] };
    const parts = [...t.byUser.map((c) => `${ident(c)} = ?`), ...t.byPhone.map((c) => `${ident(c)} = ?`)];
    return {
      sql: parts.join(' OR '),
      params: (id: number, phone: string) => [...t.byUser.map(() => id), ...t.byPhone.map(() => phone)],
    };
  };

  return {
    async keyOrPut(name, value, now) {
      await r.run(
        'INSERT INTO server_keys (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
        [name, value, now],
      );
      const row = (await r.all<{ value: string }>('SELECT value FROM server_keys WHERE name = ?', [name]))[0];
      if (!row) throw new Error(`server key ${name} vanished after it was stored`);
      return row.value;
    },

    async setRetention(groupId, days) {
      const n = await r.run('UPDATE groups SET retain_days = ? WHERE id = ?', [days, groupId]);
      if (n === 0) throw new Error(`no group with id ${groupId}`);
    },

    async pruneHistory(now, defaultDays, batch) {
      const groups = await r.all<{ id: number; pruned_seq: number; days: number }>(
        `SELECT id, pruned_seq, coalesce(retain_days, ?) AS days FROM groups
         WHERE coalesce(retain_days, ?) > 0 AND last_seq > pruned_seq ORDER BY id`,
        [defaultDays, defaultDays],
      );
      let deleted = 0;
      let touched = 0;
      for (const g of groups) {
        const n = await r.tx(async (t) => {
          const cutoff = now - g.days * DAY_MS;
          const floorRow = await t.all<{ floor: number | null; last: number; pruned: number }>(
            `SELECT (SELECT min(${settled}) FROM memberships WHERE group_id = ? AND state = 'active') AS floor,
                    last_seq AS last, pruned_seq AS pruned FROM groups WHERE id = ?`,
            [g.id, g.id],
          );
          const f = floorRow[0];
          if (!f) return 0;
          const floor = f.floor ?? f.last;
          const pruned = f.pruned;
          const page = await t.all<{ seq: number; created_at: number }>(
            'SELECT seq, created_at FROM messages WHERE group_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
            [g.id, pruned, floor, batch],
          );
          // A contiguous prefix of old messages: history then starts at one seq, which catch-up can say.
          let upTo = pruned;
          for (const m of page) {
            if (m.created_at >= cutoff) break;
            upTo = m.seq;
          }
          if (upTo === pruned) return 0;
          const gone = await t.run('DELETE FROM messages WHERE group_id = ? AND seq > ? AND seq <= ?', [
            g.id,
            pruned,
            upTo,
          ]);
          await t.run('DELETE FROM trail WHERE group_id = ? AND seq_to <= ?', [g.id, upTo]);
          await t.run(
            `DELETE FROM sim_texts WHERE outbound_id IN (SELECT id FROM outbound_sms WHERE group_id = ?
               AND kind = 'group_message' AND seq <= ? AND state IN ${FINISHED})`,
            [g.id, upTo],
          );
          await t.run(
            `DELETE FROM outbound_sms WHERE group_id = ? AND kind = 'group_message' AND seq <= ? AND state IN ${FINISHED}`,
            [g.id, upTo],
          );
          await t.run('UPDATE groups SET pruned_seq = ? WHERE id = ?', [upTo, g.id]);
          return gone;
        });
        if (n > 0) touched++;
        deleted += n;
      }
      return { groups: touched, deleted };
    },

    async exportMember(phone) {
      const user = (await r.all<{ id: number }>('SELECT id FROM users WHERE phone = ?', [phone]))[0];
      if (!user) return undefined;
      const tables: MemberExport['tables'] = {};
      for (const t of await memberTables()) {
        const w = where(t);
        const rows = await r.all<Record<string, unknown>>(
          `SELECT * FROM ${t.table} WHERE ${w.sql}`,
          w.params(user.id, phone),
        );
        tables[t.table] = rows.map((row) =>
          Object.fromEntries(Object.entries(row).filter(([k]) => !SECRET.has(k))),
        );
      }
      const groups = await r.all<{ groupId: number; appNumber: string; groupNumber: string; name: string }>(
        `SELECT g.id AS "groupId", g.app_number AS "appNumber", g.group_number AS "groupNumber", g.name
         FROM groups g JOIN memberships m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.id`,
        [user.id],
      );
      return { phone, userId: user.id, exportedAt: Date.now(), groups, tables };
    },

    async eraseMember(phone, now) {
      return r.tx(async (t): Promise<ErasureReport | undefined> => {
        const user = (await t.all<{ id: number }>('SELECT id FROM users WHERE phone = ?', [phone]))[0];
        if (!user) return undefined;
        const id = user.id;
        const marker = `erased:${id}`;
        const deleted: Record<string, number> = {};
        const anonymised: Record<string, number> = {};
        // Kept, so that every group's log stays gap-free and every other member's cursors stay true:
        // the member's messages (body emptied), memberships (ended), texts (number and text emptied).
        anonymised.messages = await t.run(
          "UPDATE messages SET body = '', client_msg_id = NULL WHERE sender_id = ?",
          [id],
        );
        const groups = await t.all<{ group_id: number }>(
          "SELECT group_id FROM memberships WHERE user_id = ? AND state IN ('active','invited')",
          [id],
        );
        anonymised.memberships = await t.run(
          "UPDATE memberships SET state = 'removed', reminder_due_at = NULL, escalate_at = NULL, updated_at = ? WHERE user_id = ?",
          [now, id],
        );
        // Other nodes' member lists are versioned by the group row: the removal invalidates them.
        for (const g of groups)
          await t.run('UPDATE groups SET version = version + 1 WHERE id = ?', [g.group_id]);
        anonymised.outbound_sms = await t.run(
          `UPDATE outbound_sms SET to_phone = ?, text = '',
             state = CASE WHEN state IN ('queued','submitting') THEN 'cancelled' ELSE state END,
             error = CASE WHEN state IN ('queued','submitting') THEN 'erased' ELSE error END
           WHERE to_phone = ? OR user_id = ?`,
          [marker, phone, id],
        );
        anonymised.users = await t.run(
          'UPDATE users SET phone = ?, display_name = NULL, sms_opted_out = 1, last_group_id = NULL WHERE id = ?',
          [marker, id],
        );
        const kept = new Set(['users', 'messages', 'memberships', 'outbound_sms']);
        // Everything else that names the member goes: sessions, sign-in codes, push subscriptions, the
        // trail, simulated texts, pending confirmations, and any table added since.
        for (const tb of await memberTables()) {
          if (kept.has(tb.table)) continue;
          const w = where(tb);
          deleted[tb.table] = await t.run(`DELETE FROM ${tb.table} WHERE ${w.sql}`, w.params(id, phone));
        }
        return { userId: id, deleted, anonymised };
      });
    },

    close,
  };
}
