// Groups and memberships on SQLite; the membership and policy rules are shared (../rules/membership-rules.ts).
import type { Database } from 'better-sqlite3';
import type { MemberState } from '../../domain/group.ts';
import {
  type GroupRow,
  MEMBERSHIP_COLUMNS,
  type MembershipRow,
  toGroup,
  toMembership,
  toUser,
  type UserRow,
} from '../rows.ts';
import { CANCEL_REASON } from '../rules/cancel-rules.ts';
import { MEMBER_COLUMNS, type MemberRow, planMembership, policyColumns } from '../rules/membership-rules.ts';
import type { GroupStore } from '../store.ts';
import { pendingReminderAt } from './sqlite-reminders-due.ts';

const MAX_NUMBER_ATTEMPTS = 64;
const MEMBER_ROW_COLUMNS = MEMBER_COLUMNS.join(', ');
const MEMBER_ROW_PARAMS = MEMBER_COLUMNS.map((k) => `@${k}`).join(', ');
const MEMBER_ROW_SET = MEMBER_COLUMNS.map((k) => `${k} = @${k}`).join(', ');
// The reminder as pending or not: the column alone may name one already sent (./sqlite-reminders-due.ts).
const MEMBER_ROW_READ = MEMBER_COLUMNS.map((k) =>
  k === 'reminder_due_at' ? `${pendingReminderAt('memberships')} AS ${k}` : k,
).join(', ');

/**
 * One membership with its user's columns, read by primary-key subqueries instead of a join: read on
 * every post and check, and a join with bound parameters costs SQLite ~14 µs more per run
 * (bench/diag/join-cost.ts).
 */
export const MEMBER_BY_KEY = `SELECT ${MEMBERSHIP_COLUMNS.replace(
  /\bu\.(\w+)/g,
  (_, col: string) => `(SELECT ${col} FROM users WHERE id = m.user_id) AS ${col}`,
)} FROM memberships m WHERE m.group_id = ? AND m.user_id = ?`;

function statesIn(states: MemberState[]): string {
  return states.map((s) => `'${s.replace(/[^a-z]/g, '')}'`).join(',');
}

export function sqliteGroups(db: Database): GroupStore {
  const byId = db.prepare<[number], GroupRow>('SELECT * FROM groups WHERE id = ?');
  const byNumber = db.prepare<[string, string], GroupRow>(
    'SELECT * FROM groups WHERE app_number = ? AND group_number = ?',
  );
  const userById = db.prepare<[number], UserRow>('SELECT * FROM users WHERE id = ?');
  const member = db.prepare<[number, number], MembershipRow>(MEMBER_BY_KEY);
  const insertGroup = db.prepare(
    `INSERT INTO groups (app_number, group_number, name, invite_policy, member_cap, created_at, created_by)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (app_number, group_number) DO NOTHING`,
  );
  const insertOwner = db.prepare(
    `INSERT INTO memberships (group_id, user_id, role, state, joined_at, updated_at)
     VALUES (?, ?, 'owner', 'active', ?, ?)`,
  );
  const create = db.transaction(
    (g: Parameters<GroupStore['create']>[0], pickNumber: (attempt: number) => string, now: number) => {
      for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt++) {
        const number = pickNumber(attempt);
        const r = insertGroup.run(g.appNumber, number, g.name, g.invitePolicy, g.memberCap, now, g.ownerId);
        if (r.changes === 1) {
          const id = Number(r.lastInsertRowid);
          insertOwner.run(id, g.ownerId, now, now);
          return toGroup(byId.get(id)!);
        }
      }
      throw new Error(`no free group number in app ${g.appNumber} after ${MAX_NUMBER_ATTEMPTS} attempts`);
    },
  );
  const takePending = db.prepare<[string, number], { code: string; command: string; expires_at: number }>(
    'DELETE FROM sms_confirmations WHERE phone = ? AND group_id = ? RETURNING code, command, expires_at',
  );
  const addFailure = db.prepare('INSERT INTO sms_confirm_failures (phone, group_id, at) VALUES (?, ?, ?)');
  const takeConfirmation = db.transaction((phone: string, groupId: number, code: string, now: number) => {
    const row = takePending.get(phone, groupId);
    if (row && row.code === code && row.expires_at > now) return row.command;
    addFailure.run(phone, groupId, now);
    return undefined;
  });
  const bumpVersion = db.prepare('UPDATE groups SET version = version + 1 WHERE id = ? AND version = ?');
  const lastSeq = db.prepare<[number], { last_seq: number }>('SELECT last_seq FROM groups WHERE id = ?');
  const memberRow = db.prepare<[number, number], MemberRow>(
    `SELECT ${MEMBER_ROW_READ} FROM memberships WHERE group_id = ? AND user_id = ?`,
  );
  const insertMember = db.prepare(
    `INSERT INTO memberships (group_id, user_id, ${MEMBER_ROW_COLUMNS})
     VALUES (@group_id, @user_id, ${MEMBER_ROW_PARAMS})`,
  );
  const updateMember = db.prepare(
    `UPDATE memberships SET ${MEMBER_ROW_SET} WHERE group_id = @group_id AND user_id = @user_id`,
  );
  const cancelQueued = db.prepare(
    `UPDATE outbound_sms SET state = 'cancelled', error = ?, updated_at = ?
     WHERE group_id = ? AND user_id = ? AND kind = 'group_message' AND state = 'queued'`,
  );
  const apply = db.transaction(
    (
      groupId: number,
      expected: number,
      changes: Parameters<GroupStore['applyMembership']>[2],
      now: number,
    ) => {
      if (bumpVersion.run(groupId, expected).changes !== 1) return false;
      const end = lastSeq.get(groupId)?.last_seq ?? 0;
      for (const c of changes) {
        const plan = planMembership(memberRow.get(groupId, c.userId), c, end, now);
        const params = { ...plan.row, group_id: groupId, user_id: c.userId };
        (plan.op === 'insert' ? insertMember : updateMember).run(params);
        if (plan.cancelQueued) cancelQueued.run(CANCEL_REASON.removed, now, groupId, c.userId);
      }
      return true;
    },
  );
  const setPolicy = db.prepare(
    `UPDATE groups SET invite_policy = coalesce(@invite_policy, invite_policy),
       escalate_to_sms = coalesce(@escalate_to_sms, escalate_to_sms),
       confirm_admin_sms = coalesce(@confirm_admin_sms, confirm_admin_sms),
       member_cap = coalesce(@member_cap, member_cap)
     WHERE id = @id`,
  );

  return {
    async create(g, pickNumber, now) {
      return create(g, pickNumber, now);
    },
    async byNumber(appNumber, groupNumber) {
      const r = byNumber.get(appNumber, groupNumber);
      return r && toGroup(r);
    },
    async byId(id) {
      const r = byId.get(id);
      return r && toGroup(r);
    },
    async ofUser(userId, states) {
      const rows = db
        .prepare<[number], GroupRow & MembershipRow & { gid: number }>(
          `SELECT g.*, ${MEMBERSHIP_COLUMNS} FROM memberships m
           JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id
           WHERE m.user_id = ? AND m.state IN (${statesIn(states)}) ORDER BY g.id`,
        )
        .all(userId);
      return rows.map((r) => ({ group: toGroup({ ...r, id: r.group_id }), membership: toMembership(r) }));
    },
    async member(groupId, userId) {
      const r = member.get(groupId, userId);
      return r && toMembership(r);
    },
    async senders(keys) {
      // In-process reads: a round trip costs nothing here, so one per part.
      return keys.map(({ groupId, userId }) => {
        const g = byId.get(groupId);
        const u = userById.get(userId);
        const m = member.get(groupId, userId);
        return { group: g && toGroup(g), user: u && toUser(u), member: m && toMembership(m) };
      });
    },
    async members(groupId, states) {
      return db
        .prepare<[number], MembershipRow>(
          `SELECT ${MEMBERSHIP_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.group_id = ? AND m.state IN (${statesIn(states)}) ORDER BY m.joined_at, m.user_id`,
        )
        .all(groupId)
        .map(toMembership);
    },
    async applyMembership(groupId, expectedVersion, changes, now) {
      return apply(groupId, expectedVersion, changes, now);
    },
    async version(groupId) {
      return (
        db.prepare<[number], { version: number }>('SELECT version FROM groups WHERE id = ?').get(groupId)
          ?.version ?? -1
      );
    },
    async rename(groupId, name) {
      db.prepare('UPDATE groups SET name = ? WHERE id = ?').run(name, groupId);
    },
    async setPolicy(groupId, p) {
      // One statement for all given fields, so a policy change is atomic; absent fields keep their value.
      const cols = policyColumns(p);
      if (cols) setPolicy.run({ ...cols, id: groupId });
    },
    async putConfirmation(phone, groupId, code, command, expiresAt, now) {
      const r = db
        .prepare(
          `INSERT INTO sms_confirmations (phone, group_id, code, command, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (phone, group_id) DO UPDATE SET code = excluded.code, command = excluded.command, expires_at = excluded.expires_at
           WHERE sms_confirmations.expires_at <= ?`,
        )
        .run(phone, groupId, code, command, expiresAt, now);
      return r.changes === 1;
    },
    async takeConfirmation(phone, groupId, code, now) {
      return takeConfirmation(phone, groupId, code, now);
    },
    async countConfirmFailures(phone, groupId, since) {
      return (
        db
          .prepare<[string, number, number], { n: number }>(
            'SELECT count(*) AS n FROM sms_confirm_failures WHERE phone = ? AND group_id = ? AND at >= ?',
          )
          .get(phone, groupId, since)?.n ?? 0
      );
    },
    async countCreatedBy(userId, since) {
      return (
        db
          .prepare<[number, number], { n: number }>(
            'SELECT count(*) AS n FROM groups WHERE created_by = ? AND created_at >= ?',
          )
          .get(userId, since)?.n ?? 0
      );
    },
    async countInvitesBy(userId, since) {
      return (
        db
          .prepare<[number, number], { n: number }>(
            'SELECT count(*) AS n FROM memberships WHERE invited_by = ? AND invited_at >= ?',
          )
          .get(userId, since)?.n ?? 0
      );
    },
  };
}
