// Delivery policy on SQLite: member preferences, group budget and digest settings, SMS spend.
import type { Database } from 'better-sqlite3';
import {
  type GroupPolicyRow,
  type PrefsRow,
  prefsParams,
  SPENT_WHERE,
  toGroupPolicy,
  toPrefs,
} from '../rules/policy-rows.ts';
import type { PolicyStore } from '../store.ts';
import { pendingReminderAt } from './sqlite-reminders-due.ts';

export function sqlitePolicy(db: Database): PolicyStore {
  const s = {
    forGroup: db.prepare<[number], PrefsRow>('SELECT * FROM member_prefs WHERE group_id = ?'),
    one: db.prepare<[number, number], PrefsRow>(
      'SELECT * FROM member_prefs WHERE group_id = ? AND user_id = ?',
    ),
    put: db.prepare(
      `INSERT INTO member_prefs (group_id, user_id, sms_mode, muted, digest, quiet_start, quiet_end, time_zone, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (group_id, user_id) DO UPDATE SET sms_mode = excluded.sms_mode, muted = excluded.muted,
         digest = excluded.digest, quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
         time_zone = excluded.time_zone, updated_at = excluded.updated_at`,
    ),
    group: db.prepare<[number], GroupPolicyRow>('SELECT * FROM group_policy WHERE group_id = ?'),
    putGroup: db.prepare(
      `INSERT INTO group_policy (group_id, sms_budget_day, sms_budget_month, digest_window_ms, updated_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (group_id) DO UPDATE SET sms_budget_day = excluded.sms_budget_day,
         sms_budget_month = excluded.sms_budget_month, digest_window_ms = excluded.digest_window_ms,
         updated_at = excluded.updated_at`,
    ),
    spent: db.prepare<{ g: number; since: number }, { n: number | null }>(
      `SELECT sum(coalesce(segments, 1)) AS n FROM outbound_sms WHERE ${SPENT_WHERE.replaceAll('$', '@')}`,
    ),
    ensureGroup: db.prepare(
      'INSERT INTO group_policy (group_id, updated_at) VALUES (?, ?) ON CONFLICT (group_id) DO NOTHING',
    ),
    // The scan that claimed it lets it go: whichever node scans after the new time sends it.
    postpone: db.prepare(
      `UPDATE memberships SET reminder_due_at = ?, lease_holder = NULL, lease_until = NULL
       WHERE group_id = ? AND user_id = ? AND ${pendingReminderAt('memberships')} IS NOT NULL`,
    ),
    told: db.prepare(
      `UPDATE group_policy SET budget_told = ? WHERE group_id = ? AND (budget_told IS NULL OR budget_told <> ?)`,
    ),
  };
  const claim = db.transaction((groupId: number, period: string, now: number) => {
    s.ensureGroup.run(groupId, now);
    return s.told.run(period, groupId, period).changes === 1;
  });
  return {
    async prefsForGroup(groupId) {
      return new Map(s.forGroup.all(groupId).map((r) => [r.user_id, toPrefs(r)]));
    },
    async prefsOf(groupId, userId) {
      return toPrefs(s.one.get(groupId, userId));
    },
    async setPrefs(groupId, userId, p, now) {
      s.put.run(groupId, userId, ...prefsParams(p), now);
    },
    async groupPolicy(groupId) {
      return toGroupPolicy(s.group.get(groupId));
    },
    async setGroupPolicy(groupId, p, now) {
      s.putGroup.run(groupId, p.smsBudgetDay, p.smsBudgetMonth, p.digestWindowMs, now);
    },
    async smsSpent(groupId, since) {
      return s.spent.get({ g: groupId, since })?.n ?? 0;
    },
    async claimBudgetNotice(groupId, period, now) {
      return claim(groupId, period, now);
    },
    async postponeReminder(groupId, userId, at) {
      s.postpone.run(at, groupId, userId);
    },
  };
}
