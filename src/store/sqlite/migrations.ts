// SQLite schema, one numbered step per change. Never edit a released step: add the next one.
import type { Migration } from '../migrate.ts';

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'core',
    up: `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  phone TEXT NOT NULL UNIQUE,
  display_name TEXT,
  sms_opted_out INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE signin_codes (
  id INTEGER PRIMARY KEY,
  phone TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  used_at INTEGER
);
CREATE INDEX signin_codes_phone ON signin_codes(phone, created_at);
CREATE TABLE groups (
  id INTEGER PRIMARY KEY,
  app_number TEXT NOT NULL,
  group_number TEXT NOT NULL,
  name TEXT NOT NULL,
  invite_policy TEXT NOT NULL CHECK (invite_policy IN ('confirm','direct')),
  member_cap INTEGER NOT NULL,
  escalate_to_sms INTEGER NOT NULL DEFAULT 0,
  last_seq INTEGER NOT NULL DEFAULT 0,
  version INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  UNIQUE (app_number, group_number)
);
CREATE TABLE memberships (
  group_id INTEGER NOT NULL REFERENCES groups(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  role TEXT NOT NULL CHECK (role IN ('owner','admin','member')),
  state TEXT NOT NULL CHECK (state IN ('active','invited','declined','removed','left')),
  invited_by INTEGER,
  invited_at INTEGER,
  joined_at INTEGER,
  joined_seq INTEGER NOT NULL DEFAULT 0,
  acked_seq INTEGER NOT NULL DEFAULT 0,
  fetched_seq INTEGER NOT NULL DEFAULT 0,
  read_seq INTEGER NOT NULL DEFAULT 0,
  routed_seq INTEGER NOT NULL DEFAULT 0,
  inbox_upto INTEGER NOT NULL DEFAULT 0,
  reminder_due_at INTEGER,
  escalate_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships(user_id, state);
CREATE INDEX memberships_invites ON memberships(invited_by, invited_at) WHERE invited_by IS NOT NULL;
CREATE INDEX memberships_reminder ON memberships(reminder_due_at) WHERE reminder_due_at IS NOT NULL;
CREATE INDEX memberships_escalate ON memberships(escalate_at) WHERE escalate_at IS NOT NULL;
CREATE TABLE messages (
  group_id INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL UNIQUE,
  sender_id INTEGER NOT NULL,
  body TEXT NOT NULL,
  source TEXT NOT NULL,
  client_msg_id TEXT,
  audience TEXT NOT NULL DEFAULT 'all',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client_id ON messages(group_id, sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
CREATE TABLE outbound_sms (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  to_phone TEXT NOT NULL,
  from_addr TEXT NOT NULL,
  text TEXT NOT NULL,
  group_id INTEGER,
  seq INTEGER,
  user_id INTEGER,
  ignore_opt_out INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  encoding TEXT,
  segments INTEGER,
  gateway TEXT,
  gateway_ref TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  not_before INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX outbound_pending ON outbound_sms(state, not_before, id) WHERE state IN ('queued','submitting');
CREATE INDEX outbound_member ON outbound_sms(group_id, user_id, seq) WHERE group_id IS NOT NULL;
CREATE INDEX outbound_gateway_ref ON outbound_sms(gateway, gateway_ref) WHERE gateway_ref IS NOT NULL;
CREATE TABLE inbound_seen (
  gateway TEXT NOT NULL,
  ref TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (gateway, ref)
) WITHOUT ROWID;
CREATE TABLE sim_texts (
  id INTEGER PRIMARY KEY,
  outbound_id INTEGER NOT NULL UNIQUE,
  phone TEXT NOT NULL,
  from_addr TEXT NOT NULL,
  text TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX sim_texts_phone ON sim_texts(phone, id);
CREATE TABLE trail (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  seq_from INTEGER NOT NULL,
  seq_to INTEGER NOT NULL,
  rung TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX trail_lookup ON trail(group_id, seq_to);
CREATE TABLE push_subscriptions (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  endpoint TEXT NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX push_user ON push_subscriptions(user_id);
`,
  },
  {
    version: 2,
    name: 'receipt matching ignores case and leading zeros',
    up: `
DROP INDEX outbound_gateway_ref;
CREATE INDEX outbound_gateway_ref ON outbound_sms(gateway, ltrim(lower(gateway_ref), '0')) WHERE gateway_ref IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'the group a number last used, for single-number addressing',
    up: `
ALTER TABLE users ADD COLUMN last_group_id INTEGER;
`,
  },
  {
    version: 4,
    name: 'rate limits count recent texts by kind and number',
    up: `
CREATE INDEX outbound_kind_time ON outbound_sms(kind, created_at);
CREATE INDEX outbound_phone_kind_time ON outbound_sms(to_phone, kind, created_at);
`,
  },
  {
    version: 5,
    name: 'membership changes by SMS can require a confirmation code',
    up: `
ALTER TABLE groups ADD COLUMN confirm_admin_sms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE sms_confirmations (
  phone TEXT NOT NULL,
  group_id INTEGER NOT NULL,
  code TEXT NOT NULL,
  command TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (phone, group_id)
) WITHOUT ROWID;
`,
  },
  {
    version: 6,
    name: 'at most one live text per member and group message',
    up: `
CREATE UNIQUE INDEX outbound_one_per_member ON outbound_sms(group_id, seq, user_id)
  WHERE kind = 'group_message' AND state <> 'cancelled';
`,
  },
  {
    version: 7,
    name: 'the inbox remembers how far it has shown a member',
    up: `
ALTER TABLE memberships ADD COLUMN shown_seq INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 8,
    name: 'presence entries with an expiry, found again after a restart; a probe row for readiness',
    up: `
CREATE TABLE presence (
  user_id INTEGER NOT NULL,
  node TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('live','reconnecting','web')),
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, node, kind)
) WITHOUT ROWID;
CREATE INDEX presence_node ON presence(node, kind);
CREATE INDEX presence_expiry ON presence(expires_at);
CREATE INDEX trail_member ON trail(group_id, user_id, seq_to);
CREATE TABLE readiness_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
`,
  },
  {
    version: 9,
    name: 'SMS abuse caps: who created a group, and wrong confirmation codes',
    up: `
ALTER TABLE groups ADD COLUMN created_by INTEGER;
CREATE INDEX groups_created_by ON groups(created_by, created_at);
CREATE TABLE sms_confirm_failures (
  phone TEXT NOT NULL,
  group_id INTEGER NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX sms_confirm_failures_key ON sms_confirm_failures(phone, group_id, at);
`,
  },
  {
    version: 10,
    name: 'receipts match within the gateway session their text was submitted in',
    up: `
ALTER TABLE outbound_sms ADD COLUMN gateway_session TEXT;
`,
  },
  {
    version: 11,
    name: 'server keys shared by every node; history retention per group',
    up: `
CREATE TABLE server_keys (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE groups ADD COLUMN retain_days INTEGER;
ALTER TABLE groups ADD COLUMN pruned_seq INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    version: 12,
    name: 'delivery policy: member preferences, urgent messages, held and digested texts, group SMS budgets',
    up: `
CREATE TABLE member_prefs (
  group_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  sms_mode TEXT NOT NULL DEFAULT 'normal' CHECK (sms_mode IN ('normal','never','urgent_only','always')),
  muted INTEGER NOT NULL DEFAULT 0,
  digest INTEGER NOT NULL DEFAULT 0,
  quiet_start INTEGER,
  quiet_end INTEGER,
  time_zone TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE TABLE group_policy (
  group_id INTEGER PRIMARY KEY,
  sms_budget_day INTEGER,
  sms_budget_month INTEGER,
  digest_window_ms INTEGER,
  budget_told TEXT,
  updated_at INTEGER NOT NULL
);
ALTER TABLE messages ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbound_sms ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbound_sms ADD COLUMN carried_by INTEGER;
CREATE INDEX outbound_group_time ON outbound_sms(group_id, created_at) WHERE group_id IS NOT NULL;
`,
  },
  {
    version: 13,
    name: 'leases: reminder and escalation claims on memberships, in-flight texts per node, singleton jobs',
    up: `
ALTER TABLE memberships ADD COLUMN lease_holder TEXT;
ALTER TABLE memberships ADD COLUMN lease_until INTEGER;
ALTER TABLE outbound_sms ADD COLUMN claimed_by TEXT;
ALTER TABLE outbound_sms ADD COLUMN lease_until INTEGER;
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    version: 14,
    name: 'the SMS claim reads only texts still queued or in flight, not every text ever sent',
    // Without these the claim walked outbound_sms in id order from the first text ever queued, skipping
    // every sent one, and its per-number checks walked each number's whole history: a claim's cost grew
    // with the table, not with the queue (13 ms a claim with 200,000 sent; bench/diag/claim-scan.ts).
    up: `
CREATE INDEX outbound_queued ON outbound_sms(id) WHERE state = 'queued';
CREATE INDEX outbound_queued_by_phone ON outbound_sms(to_phone, id) WHERE state = 'queued';
CREATE INDEX outbound_submitting_by_phone ON outbound_sms(to_phone, id) WHERE state = 'submitting';
`,
  },
  {
    version: 15,
    name: 'pending reminders in their own table, in due order: a pass that sends them writes neighbouring rows',
    // The design and why: ./sqlite-reminders-due.ts. The triggers keep reminders_due in step with every
    // write of memberships.reminder_due_at (a write of the same time keeps the row and its lease); only a
    // pass that sends a reminder deletes its row directly. A reminder's lease moves onto its due row.
    up: `
CREATE TABLE reminders_due (
  due_at INTEGER NOT NULL,
  group_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL,
  lease_holder TEXT,
  lease_until INTEGER,
  PRIMARY KEY (due_at, group_id, user_id)
) WITHOUT ROWID;
INSERT INTO reminders_due (due_at, group_id, user_id, lease_holder, lease_until)
  SELECT reminder_due_at, group_id, user_id, lease_holder, lease_until FROM memberships
  WHERE reminder_due_at IS NOT NULL;
DROP INDEX memberships_reminder;
CREATE TRIGGER reminders_due_on_insert AFTER INSERT ON memberships WHEN NEW.reminder_due_at IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO reminders_due (due_at, group_id, user_id)
    VALUES (NEW.reminder_due_at, NEW.group_id, NEW.user_id);
END;
CREATE TRIGGER reminders_due_on_update AFTER UPDATE OF reminder_due_at ON memberships
  WHEN OLD.reminder_due_at IS NOT NEW.reminder_due_at OR NEW.reminder_due_at IS NOT NULL
BEGIN
  DELETE FROM reminders_due
    WHERE OLD.reminder_due_at IS NOT NEW.reminder_due_at
      AND due_at = OLD.reminder_due_at AND group_id = OLD.group_id AND user_id = OLD.user_id;
  INSERT OR IGNORE INTO reminders_due (due_at, group_id, user_id)
    SELECT NEW.reminder_due_at, NEW.group_id, NEW.user_id WHERE NEW.reminder_due_at IS NOT NULL;
END;
CREATE TRIGGER reminders_due_on_delete AFTER DELETE ON memberships WHEN OLD.reminder_due_at IS NOT NULL
BEGIN
  DELETE FROM reminders_due
    WHERE due_at = OLD.reminder_due_at AND group_id = OLD.group_id AND user_id = OLD.user_id;
END;
`,
  },
];
