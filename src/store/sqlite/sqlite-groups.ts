// Groups and memberships on SQLite.
import type { Database } from 'better-sqlite3';
import type { MemberState } from '../../domain/group.ts';
import { type GroupRow, MEMBERSHIP_COLUMNS, type MembershipRow, toGroup, toMembership } from '../rows.ts';
import type { GroupStore } from '../store.ts';

const MAX_NUMBER_ATTEMPTS = 64;

function statesIn(states: MemberState[]): string {
  return states.map((s) => `'${s.replace(/[^a-z]/g, '')}'`).join(',');
}

export function sqliteGroups(db: Database): GroupStore {
  const byId = db.prepare<[number], GroupRow>('SELECT * FROM groups WHERE id = ?');
  const byNumber = db.prepare<[string, string], GroupRow>(
    'SELECT * FROM groups WHERE app_number = ? AND group_number = ?',
  );
  const member = db.prepare<[number, number], MembershipRow>(
    `SELECT ${MEMBERSHIP_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE m.group_id = ? AND m.user_id = ?`,
  );
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
  const upsertMember = db.prepare(
    `INSERT INTO memberships (group_id, user_id, role, state, invited_by, invited_at, joined_at, joined_seq,
       acked_seq, routed_seq, fetched_seq, read_seq, updated_at)
     SELECT @group_id, @user_id, @role, @state, @invited_by, @invited_at, @joined_at, g.last_seq,
       g.last_seq, g.last_seq, g.last_seq, g.last_seq, @now
     FROM groups g WHERE g.id = @group_id
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
       updated_at = excluded.updated_at`,
  );
  // A member who leaves gets no SMS still waiting in the queue for this group.
  const cancelQueued = db.prepare(
    `UPDATE outbound_sms SET state = 'cancelled', error = 'no longer a member', updated_at = ?
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
      for (const c of changes) {
        upsertMember.run({
          group_id: groupId,
          user_id: c.userId,
          role: c.role,
          state: c.state,
          invited_by: c.invitedBy ?? null,
          invited_at: c.invitedBy ? now : null,
          joined_at: c.state === 'active' ? now : null,
          now,
        });
        if (c.state !== 'active') cancelQueued.run(now, groupId, c.userId);
      }
      return true;
    },
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
      if (p.invitePolicy)
        db.prepare('UPDATE groups SET invite_policy = ? WHERE id = ?').run(p.invitePolicy, groupId);
      if (p.escalateToSms !== undefined)
        db.prepare('UPDATE groups SET escalate_to_sms = ? WHERE id = ?').run(
          p.escalateToSms ? 1 : 0,
          groupId,
        );
      if (p.confirmAdminSms !== undefined)
        db.prepare('UPDATE groups SET confirm_admin_sms = ? WHERE id = ?').run(
          p.confirmAdminSms ? 1 : 0,
          groupId,
        );
      if (p.memberCap !== undefined)
        db.prepare('UPDATE groups SET member_cap = ? WHERE id = ?').run(p.memberCap, groupId);
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
