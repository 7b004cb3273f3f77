// Delivery policy on PostgreSQL: member preferences, group budget and digest settings, SMS spend.
import {
  type GroupPolicyRow,
  type PrefsRow,
  prefsParams,
  SPENT_WHERE,
  toGroupPolicy,
  toPrefs,
} from '../rules/policy-rows.ts';
import type { PolicyStore } from '../store.ts';
import { changes, type Db, row, rows } from './pg-db.ts';

export function pgPolicy(db: Db): PolicyStore {
  return {
    async prefsForGroup(groupId) {
      const all = await rows<PrefsRow>(db, 'SELECT * FROM member_prefs WHERE group_id = $1', [groupId]);
      return new Map(all.map((r) => [Number(r.user_id), toPrefs(r)]));
    },
    async prefsOf(groupId, userId) {
      return toPrefs(
        await row<PrefsRow>(db, 'SELECT * FROM member_prefs WHERE group_id = $1 AND user_id = $2', [
          groupId,
          userId,
        ]),
      );
    },
    async setPrefs(groupId, userId, p, now) {
      await db.query(
        `INSERT INTO member_prefs (group_id, user_id, sms_mode, muted, digest, quiet_start, quiet_end, time_zone, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (group_id, user_id) DO UPDATE SET sms_mode = excluded.sms_mode, muted = excluded.muted,
           digest = excluded.digest, quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
           time_zone = excluded.time_zone, updated_at = excluded.updated_at`,
        [groupId, userId, ...prefsParams(p), now],
      );
    },
    async groupPolicy(groupId) {
      return toGroupPolicy(
        await row<GroupPolicyRow>(db, 'SELECT * FROM group_policy WHERE group_id = $1', [groupId]),
      );
    },
    async setGroupPolicy(groupId, p, now) {
      await db.query(
        `INSERT INTO group_policy (group_id, sms_budget_day, sms_budget_month, digest_window_ms, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (group_id) DO UPDATE SET sms_budget_day = excluded.sms_budget_day,
           sms_budget_month = excluded.sms_budget_month, digest_window_ms = excluded.digest_window_ms,
           updated_at = excluded.updated_at`,
        [groupId, p.smsBudgetDay, p.smsBudgetMonth, p.digestWindowMs, now],
      );
    },
    async smsSpent(groupId, since) {
      const r = await row<{ n: string | null }>(
        db,
        `SELECT sum(coalesce(segments, 1)) AS n FROM outbound_sms WHERE ${SPENT_WHERE.replace('$g', '$1').replace('$since', '$2')}`,
        [groupId, since],
      );
      return Number(r?.n ?? 0);
    },
    async postponeReminder(groupId, userId, at) {
      await db.query(
        // The scan that claimed it lets it go: whichever node scans after `at` sends it.
        `UPDATE memberships SET reminder_due_at = $1, lease_holder = NULL, lease_until = NULL
         WHERE group_id = $2 AND user_id = $3 AND reminder_due_at IS NOT NULL`,
        [at, groupId, userId],
      );
    },
    async claimBudgetNotice(groupId, period, now) {
      await db.query(
        'INSERT INTO group_policy (group_id, updated_at) VALUES ($1, $2) ON CONFLICT (group_id) DO NOTHING',
        [groupId, now],
      );
      return (
        (await changes(
          db,
          'UPDATE group_policy SET budget_told = $1 WHERE group_id = $2 AND (budget_told IS NULL OR budget_told <> $1)',
          [period, groupId],
        )) === 1
      );
    },
  };
}
