// Groups and memberships on PostgreSQL, with creation and membership changes each in one transaction (the
// version check and the changes it guards commit together). The rules are shared (../rules/membership-rules.ts).
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
import {
  MEMBER_COLUMNS,
  type MemberRow,
  memberRowValues,
  planMembership,
  policyColumns,
} from '../rules/membership-rules.ts';
import type { GroupStore } from '../store.ts';
import { changes, type Db, prepared, row, rows, tx } from './pg-db.ts';

const MAX_NUMBER_ATTEMPTS = 64;

// A taken number is skipped by NOT EXISTS before ON CONFLICT gets to see it: a conflict would burn an
// identity value, and group ids would drift from the SQLite engine's.
const INSERT_GROUP = `INSERT INTO groups (app_number, group_number, name, invite_policy, member_cap, created_at, created_by)
  SELECT $1::text, $2::text, $3::text, $4::text, $5::int, $6::bigint, $7::bigint
  WHERE NOT EXISTS (SELECT 1 FROM groups WHERE app_number = $1 AND group_number = $2)
  ON CONFLICT (app_number, group_number) DO NOTHING RETURNING *`;

const MEMBER_ROW_COLUMNS = MEMBER_COLUMNS.join(', ');
const SQL = {
  memberRow: `SELECT ${MEMBER_ROW_COLUMNS} FROM memberships WHERE group_id = $1 AND user_id = $2`,
  lastSeq: 'SELECT last_seq FROM groups WHERE id = $1',
  insertMember: `INSERT INTO memberships (group_id, user_id, ${MEMBER_ROW_COLUMNS})
    VALUES ($1, $2, ${MEMBER_COLUMNS.map((_, i) => `$${i + 3}`).join(', ')})`,
  updateMember: `UPDATE memberships SET ${MEMBER_COLUMNS.map((k, i) => `${k} = $${i + 3}`).join(', ')}
    WHERE group_id = $1 AND user_id = $2`,
  cancelQueued: `UPDATE outbound_sms SET state = 'cancelled', error = $1, updated_at = $2
    WHERE group_id = $3 AND user_id = $4 AND kind = 'group_message' AND state = 'queued'`,
  // One round trip for a turn's sends: each part as one JSON row (its columns as `SELECT *` names them),
  // null when absent (a null-extended row is NULL as a whole). Fresh on every call: no node-local copy.
  senders: `SELECT k.ord, row_to_json(g) AS g, row_to_json(u) AS u, row_to_json(mm) AS m
    FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS k(group_id, user_id, ord)
    LEFT JOIN groups g ON g.id = k.group_id
    LEFT JOIN users u ON u.id = k.user_id
    LEFT JOIN LATERAL (SELECT ${MEMBERSHIP_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.group_id = k.group_id AND m.user_id = k.user_id) mm ON true
    ORDER BY k.ord`,
  setPolicy: `UPDATE groups SET invite_policy = coalesce($2::text, invite_policy),
      escalate_to_sms = coalesce($3::int, escalate_to_sms), confirm_admin_sms = coalesce($4::int, confirm_admin_sms),
      member_cap = coalesce($5::int, member_cap)
    WHERE id = $1`,
} as const;

const senders = prepared('qun_senders', SQL.senders);

export function pgGroups(db: Db): GroupStore {
  return {
    async create(g, pickNumber, now) {
      return tx(db, async (c) => {
        for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt++) {
          const number = pickNumber(attempt);
          const r = await row<GroupRow>(c, INSERT_GROUP, [
            g.appNumber,
            number,
            g.name,
            g.invitePolicy,
            g.memberCap,
            now,
            g.ownerId,
          ]);
          if (r) {
            await c.query(
              `INSERT INTO memberships (group_id, user_id, role, state, joined_at, updated_at)
               VALUES ($1, $2, 'owner', 'active', $3, $3)`,
              [r.id, g.ownerId, now],
            );
            return toGroup(r);
          }
        }
        throw new Error(`no free group number in app ${g.appNumber} after ${MAX_NUMBER_ATTEMPTS} attempts`);
      });
    },
    async byNumber(appNumber, groupNumber) {
      const r = await row<GroupRow>(db, 'SELECT * FROM groups WHERE app_number = $1 AND group_number = $2', [
        appNumber,
        groupNumber,
      ]);
      return r && toGroup(r);
    },
    async byId(id) {
      const r = await row<GroupRow>(db, 'SELECT * FROM groups WHERE id = $1', [id]);
      return r && toGroup(r);
    },
    async ofUser(userId, states) {
      const rs = await rows<GroupRow & MembershipRow>(
        db,
        `SELECT g.*, ${MEMBERSHIP_COLUMNS} FROM memberships m
         JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id
         WHERE m.user_id = $1 AND m.state = ANY($2::text[]) ORDER BY g.id`,
        [userId, states],
      );
      return rs.map((r) => ({ group: toGroup({ ...r, id: r.group_id }), membership: toMembership(r) }));
    },
    async member(groupId, userId) {
      const r = await row<MembershipRow>(
        db,
        `SELECT ${MEMBERSHIP_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.group_id = $1 AND m.user_id = $2`,
        [groupId, userId],
      );
      return r && toMembership(r);
    },
    async senders(keys) {
      if (keys.length === 0) return [];
      const rs = await rows<{ g: GroupRow | null; u: UserRow | null; m: MembershipRow | null }>(
        db,
        senders([keys.map((k) => k.groupId), keys.map((k) => k.userId)]),
      );
      return rs.map((r) => ({
        group: r.g ? toGroup(r.g) : undefined,
        user: r.u ? toUser(r.u) : undefined,
        member: r.m ? toMembership(r.m) : undefined,
      }));
    },
    async members(groupId, states) {
      // NULLS FIRST: where SQLite sorts members who never joined (invited, declined).
      const rs = await rows<MembershipRow>(
        db,
        `SELECT ${MEMBERSHIP_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.group_id = $1 AND m.state = ANY($2::text[]) ORDER BY m.joined_at NULLS FIRST, m.user_id`,
        [groupId, states],
      );
      return rs.map(toMembership);
    },
    async applyMembership(groupId, expectedVersion, changeList, now) {
      return tx(db, async (c) => {
        const bumped = await changes(
          c,
          'UPDATE groups SET version = version + 1 WHERE id = $1 AND version = $2',
          [groupId, expectedVersion],
        );
        if (bumped !== 1) return false;
        const end = (await row<{ last_seq: number }>(c, SQL.lastSeq, [groupId]))?.last_seq ?? 0;
        for (const m of changeList) {
          const existing = await row<MemberRow>(c, SQL.memberRow, [groupId, m.userId]);
          const plan = planMembership(existing, m, end, now);
          await c.query(plan.op === 'insert' ? SQL.insertMember : SQL.updateMember, [
            groupId,
            m.userId,
            ...memberRowValues(plan.row),
          ]);
          if (plan.cancelQueued)
            await c.query(SQL.cancelQueued, [CANCEL_REASON.removed, now, groupId, m.userId]);
        }
        return true;
      });
    },
    async version(groupId) {
      return (
        (await row<{ version: number }>(db, 'SELECT version FROM groups WHERE id = $1', [groupId]))
          ?.version ?? -1
      );
    },
    async rename(groupId, name) {
      await db.query('UPDATE groups SET name = $1 WHERE id = $2', [name, groupId]);
    },
    async setPolicy(groupId, p) {
      // One statement for all given fields, so a policy change is atomic; absent fields keep their value.
      const cols = policyColumns(p);
      if (!cols) return;
      await db.query(SQL.setPolicy, [
        groupId,
        cols.invite_policy,
        cols.escalate_to_sms,
        cols.confirm_admin_sms,
        cols.member_cap,
      ]);
    },
    async putConfirmation(phone, groupId, code, command, expiresAt, now) {
      const n = await changes(
        db,
        `INSERT INTO sms_confirmations (phone, group_id, code, command, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (phone, group_id) DO UPDATE SET code = excluded.code, command = excluded.command, expires_at = excluded.expires_at
         WHERE sms_confirmations.expires_at <= $6`,
        [phone, groupId, code, command, expiresAt, now],
      );
      return n === 1;
    },
    async takeConfirmation(phone, groupId, code, now) {
      return tx(db, async (c) => {
        const r = await row<{ code: string; command: string; expires_at: number }>(
          c,
          'DELETE FROM sms_confirmations WHERE phone = $1 AND group_id = $2 RETURNING code, command, expires_at',
          [phone, groupId],
        );
        if (r && r.code === code && Number(r.expires_at) > now) return r.command;
        await c.query('INSERT INTO sms_confirm_failures (phone, group_id, at) VALUES ($1, $2, $3)', [
          phone,
          groupId,
          now,
        ]);
        return undefined;
      });
    },
    async countConfirmFailures(phone, groupId, since) {
      const r = await row<{ n: number }>(
        db,
        'SELECT count(*)::int AS n FROM sms_confirm_failures WHERE phone = $1 AND group_id = $2 AND at >= $3',
        [phone, groupId, since],
      );
      return r?.n ?? 0;
    },
    async countCreatedBy(userId, since) {
      const r = await row<{ n: number }>(
        db,
        'SELECT count(*)::int AS n FROM groups WHERE created_by = $1 AND created_at >= $2',
        [userId, since],
      );
      return r?.n ?? 0;
    },
    async countInvitesBy(userId, since) {
      const r = await row<{ n: number }>(
        db,
        'SELECT count(*)::int AS n FROM memberships WHERE invited_by = $1 AND invited_at >= $2',
        [userId, since],
      );
      return r?.n ?? 0;
    },
  };
}
