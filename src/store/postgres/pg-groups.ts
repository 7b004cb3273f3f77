// Groups and memberships on PostgreSQL: the SQLite engine's statements, with creation and membership
// changes each in one transaction (the version check and the changes it guards commit together).
import { type GroupRow, MEMBERSHIP_COLUMNS, type MembershipRow, toGroup, toMembership } from '../rows.ts';
import type { GroupStore } from '../store.ts';
import { changes, type Db, row, rows, tx } from './pg-db.ts';

const MAX_NUMBER_ATTEMPTS = 64;

// A taken number is skipped by NOT EXISTS before ON CONFLICT gets to see it: a conflict would burn an
// identity value, and group ids would drift from the SQLite engine's.
const INSERT_GROUP = `INSERT INTO groups (app_number, group_number, name, invite_policy, member_cap, created_at, created_by)
  SELECT $1::text, $2::text, $3::text, $4::text, $5::int, $6::bigint, $7::bigint
  WHERE NOT EXISTS (SELECT 1 FROM groups WHERE app_number = $1 AND group_number = $2)
  ON CONFLICT (app_number, group_number) DO NOTHING RETURNING *`;

const UPSERT_MEMBER = `INSERT INTO memberships (group_id, user_id, role, state, invited_by, invited_at, joined_at, joined_seq,
    acked_seq, routed_seq, fetched_seq, read_seq, updated_at)
  SELECT $1::bigint, $2::bigint, $3::text, $4::text, $5::bigint, $6::bigint, $7::bigint, g.last_seq,
    g.last_seq, g.last_seq, g.last_seq, g.last_seq, $8::bigint
  FROM groups g WHERE g.id = $1
  ON CONFLICT (group_id, user_id) DO UPDATE SET
    role = excluded.role,
    state = excluded.state,
    invited_by = coalesce(excluded.invited_by, memberships.invited_by),
    invited_at = coalesce(excluded.invited_at, memberships.invited_at),
    -- (re)joining starts the member's cursors at the current end of the log
    joined_at = CASE WHEN excluded.state = 'active' AND memberships.state <> 'active' THEN excluded.joined_at ELSE memberships.joined_at END,
    joined_seq = CASE WHEN excluded.state = 'active' AND memberships.state <> 'active' THEN excluded.joined_seq ELSE memberships.joined_seq END,
    acked_seq = CASE WHEN excluded.state = 'active' AND memberships.state <> 'active' THEN excluded.acked_seq ELSE memberships.acked_seq END,
    routed_seq = CASE WHEN excluded.state = 'active' AND memberships.state <> 'active' THEN excluded.routed_seq ELSE memberships.routed_seq END,
    fetched_seq = CASE WHEN excluded.state = 'active' AND memberships.state <> 'active' THEN excluded.fetched_seq ELSE memberships.fetched_seq END,
    read_seq = CASE WHEN excluded.state = 'active' AND memberships.state <> 'active' THEN excluded.read_seq ELSE memberships.read_seq END,
    reminder_due_at = CASE WHEN excluded.state = 'active' THEN memberships.reminder_due_at ELSE NULL END,
    escalate_at = CASE WHEN excluded.state = 'active' THEN memberships.escalate_at ELSE NULL END,
    updated_at = excluded.updated_at`;

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
        for (const m of changeList) {
          await c.query(UPSERT_MEMBER, [
            groupId,
            m.userId,
            m.role,
            m.state,
            m.invitedBy ?? null,
            m.invitedBy ? now : null,
            m.state === 'active' ? now : null,
            now,
          ]);
          // A member who leaves gets no SMS still waiting in the queue for this group.
          if (m.state !== 'active') {
            await c.query(
              `UPDATE outbound_sms SET state = 'cancelled', error = 'no longer a member', updated_at = $1
               WHERE group_id = $2 AND user_id = $3 AND kind = 'group_message' AND state = 'queued'`,
              [now, groupId, m.userId],
            );
          }
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
      const invitePolicy = p.invitePolicy || null;
      const escalate = p.escalateToSms === undefined ? null : p.escalateToSms ? 1 : 0;
      const confirmAdmin = p.confirmAdminSms === undefined ? null : p.confirmAdminSms ? 1 : 0;
      const memberCap = p.memberCap ?? null;
      if (invitePolicy === null && escalate === null && confirmAdmin === null && memberCap === null) return;
      await db.query(
        `UPDATE groups SET invite_policy = coalesce($2::text, invite_policy),
           escalate_to_sms = coalesce($3::int, escalate_to_sms), confirm_admin_sms = coalesce($4::int, confirm_admin_sms),
           member_cap = coalesce($5::int, member_cap)
         WHERE id = $1`,
        [groupId, invitePolicy, escalate, confirmAdmin, memberCap],
      );
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
