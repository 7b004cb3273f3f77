// What delivery policy saves: a 200-member group (150 SMS-only members, 49 who read the inbox with
// SMS OFF, and the owner) gets 20 messages in an hour; counts the texts and segments handed to the
// simulated gateway with no policy, with digests (every SMS member DIGEST ON, 15-minute window), and with
// a daily budget. Run by hand: node bench/policy-texts.ts [--budget 1000]
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config/config.ts';
import type { Clock } from '../src/core/clock.ts';
import { startServer } from '../src/server.ts';
import { addGroup, addMembers, addSessions, addUsers, closeDb, createDb, tempDir } from './lib/seed.ts';

const MEMBERS = 200;
const SMS_ONLY = 150;
const MESSAGES = 20;
const HOUR = 3_600_000;
const budgetArg = process.argv.indexOf('--budget');
const BUDGET = budgetArg > 0 ? Number(process.argv[budgetArg + 1]) : 1000;

type Scenario = 'no policy' | 'digests' | 'budget';

class StepClock implements Clock {
  t = Date.parse('2026-12-01T02:00:00Z'); // 10:00 in Shanghai: no quiet hours in play
  now() {
    return this.t;
  }
}

const BODIES = [
  'The bus leaves from the north gate at 8, bring water and a hat',
  'Weather looks fine for Saturday, we keep the long route',
  'Who can drive? We need two more cars for the trip',
  'Lunch stop is at the lake, about 1 pm',
  'Please reply if you are coming so we can book the tickets',
];

async function run(s: Scenario) {
  const dir = tempDir('qun-policy-bench-');
  const db = await createDb(dir);
  const users = addUsers(db, 1, MEMBERS);
  const groupId = addGroup(db, { number: '4821', name: 'Hiking club' });
  addMembers(db, groupId, users, { ownerFirst: true });
  const [token] = addSessions(db, [users[0]!]);
  const prefs = db.prepare(
    'INSERT INTO member_prefs (group_id, user_id, sms_mode, digest, updated_at) VALUES (?, ?, ?, ?, 0)',
  );
  db.transaction(() => {
    // Members 1..150 are SMS-only; 151..199 read the inbox and asked for no texts.
    users.forEach((u, i) => {
      if (i === 0) return;
      if (i > SMS_ONLY) prefs.run(groupId, u, 'never', 0);
      else if (s === 'digests') prefs.run(groupId, u, 'normal', 1);
    });
    if (s === 'budget')
      db.prepare('INSERT INTO group_policy (group_id, sms_budget_day, updated_at) VALUES (?, ?, 0)').run(
        groupId,
        BUDGET,
      );
  })();
  closeDb(db);

  const clock = new StepClock();
  const config = loadConfig({
    PORT: '0',
    QUN_HOST: '127.0.0.1',
    QUN_LOG_LEVEL: 'silent',
    QUN_DATA_DIR: dir,
    QUN_SERVICE_NUMBER: '10658',
    QUN_DEFAULT_REGION: 'CN',
  });
  const server = await startServer({ config, clock });
  const started = Date.now();
  for (let i = 0; i < MESSAGES; i++) {
    const r = await fetch(`${server.url}/v1/groups/${groupId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ body: `${BODIES[i % BODIES.length]} (${i + 1})` }),
    });
    if (r.status !== 201) throw new Error(`post failed: ${r.status} ${await r.text()}`);
    await server.settle();
    clock.t += HOUR / MESSAGES;
  }
  // Past every digest window; then wait until the queue is drained.
  clock.t += HOUR;
  const file = path.join(dir, 'qun.db');
  const read = new Database(file, { readonly: true });
  const pending = read.prepare(
    "SELECT count(*) AS n FROM outbound_sms WHERE state IN ('queued','submitting')",
  );
  for (let i = 0; i < 600 && (pending.get() as { n: number }).n > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await server.settle();
  }
  const row = read
    .prepare(
      `SELECT count(*) AS texts, coalesce(sum(segments), 0) AS segments FROM outbound_sms
       WHERE kind = 'group_message' AND state IN ('submitted', 'delivered')`,
    )
    .get() as { texts: number; segments: number };
  const carried = (
    read.prepare("SELECT count(*) AS n FROM outbound_sms WHERE state = 'digested'").get() as { n: number }
  ).n;
  const budgetHeld = (
    read
      .prepare("SELECT coalesce(sum(seq_to - seq_from), 0) AS n FROM trail WHERE reason = 'budget'")
      .get() as { n: number }
  ).n;
  const notices = (
    read.prepare("SELECT count(*) AS n FROM outbound_sms WHERE kind = 'notice'").get() as { n: number }
  ).n;
  read.close();
  await server.close();
  return {
    scenario: s,
    ...row,
    carriedInDigests: carried,
    budgetInboxOnly: budgetHeld,
    notices,
    ms: Date.now() - started,
  };
}

const out = [];
for (const s of ['no policy', 'digests', 'budget'] as const) out.push(await run(s));
console.log(
  `${MEMBERS}-member group, ${SMS_ONLY} SMS-only, ${MESSAGES} messages in an hour (budget ${BUDGET} segments/day)`,
);
console.table(out);
