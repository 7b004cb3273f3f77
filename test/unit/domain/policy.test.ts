// The delivery policy, exhaustively: every combination of every routing input (as in routing.test.ts) with every
// preference, urgency, quiet-hours state and budget state, through decideRoute then decidePolicy, against the
// policy table of docs/delivery.md written here as rows. Removing a rule from src/domain/policy.ts fails it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type DeliveryPrefs,
  decidePolicy,
  type PolicyReason,
  type SmsMode,
} from '../../../src/domain/policy.ts';
import { decideRoute, type RouteDecision, type Rung } from '../../../src/domain/routing.ts';

interface Case {
  route: RouteDecision;
  smsAllowed: boolean;
  smsMode: SmsMode;
  muted: boolean;
  digest: boolean;
  urgent: boolean;
  quiet: boolean;
  budgetLeft: boolean;
}

const QUIET_END = 1_000_000;

interface Want {
  rung: Rung;
  policy: PolicyReason | null;
  notBefore: number | null;
  reminder: boolean;
  digest: boolean;
}

const webOnline = (c: Case) =>
  c.route.reason === 'web_online' || c.route.reason === 'live_ack_timeout_web_online';
/** Reminders and held texts wait for the end of quiet hours, unless the message is urgent. */
const wait = (c: Case) => (c.quiet && !c.urgent ? QUIET_END : null);
const wouldText = (c: Case) =>
  c.route.rung === 'sms' || (c.smsMode === 'always' && c.smsAllowed && webOnline(c));

/** docs/delivery.md "Delivery policy", row by row; the first row that matches decides. */
const TABLE: { row: string; when: (c: Case) => boolean; want: (c: Case) => Want }[] = [
  {
    row: 'live, or nothing to deliver',
    when: (c) => c.route.rung === 'live' || c.route.rung === 'none',
    want: (c) => ({ rung: c.route.rung, policy: null, notBefore: null, reminder: false, digest: false }),
  },
  {
    row: 'muted',
    when: (c) => c.muted,
    want: () => ({ rung: 'inbox', policy: 'preference', notBefore: null, reminder: false, digest: false }),
  },
  {
    row: 'never SMS, would be texted',
    when: (c) => c.route.rung === 'sms' && c.smsMode === 'never',
    want: (c) => ({ rung: 'inbox', policy: 'preference', notBefore: wait(c), reminder: true, digest: false }),
  },
  {
    row: 'SMS only for urgent, not urgent, would be texted',
    when: (c) => c.route.rung === 'sms' && c.smsMode === 'urgent_only' && !c.urgent,
    want: (c) => ({ rung: 'inbox', policy: 'preference', notBefore: wait(c), reminder: true, digest: false }),
  },
  {
    row: 'inbox (not texted)',
    when: (c) => !wouldText(c),
    want: (c) => ({
      rung: 'inbox',
      policy: wait(c) !== null ? 'quiet_hours' : null,
      notBefore: wait(c),
      reminder: true,
      digest: false,
    }),
  },
  {
    row: 'budget spent',
    when: (c) => !c.budgetLeft,
    want: (c) => ({ rung: 'inbox', policy: 'budget', notBefore: wait(c), reminder: true, digest: false }),
  },
  {
    row: 'quiet hours, urgent',
    when: (c) => c.quiet && c.urgent,
    want: () => ({ rung: 'sms', policy: 'urgent', notBefore: null, reminder: false, digest: false }),
  },
  {
    row: 'quiet hours',
    when: (c) => c.quiet,
    want: (c) => ({
      rung: 'sms',
      policy: 'quiet_hours',
      notBefore: QUIET_END,
      reminder: false,
      digest: c.digest,
    }),
  },
  {
    row: 'digest, urgent',
    when: (c) => c.digest && c.urgent,
    want: () => ({ rung: 'sms', policy: 'urgent', notBefore: null, reminder: false, digest: false }),
  },
  {
    row: 'digest',
    when: (c) => c.digest,
    want: () => ({ rung: 'sms', policy: 'digest', notBefore: null, reminder: false, digest: true }),
  },
  {
    row: 'texted',
    when: () => true,
    want: (c) => ({
      rung: 'sms',
      policy: c.smsMode === 'urgent_only' ? 'urgent' : c.route.rung === 'inbox' ? 'preference' : null,
      notBefore: null,
      reminder: false,
      digest: false,
    }),
  },
];

const bools = [false, true];
const optional = [undefined, false, true];
const MODES: SmsMode[] = ['normal', 'never', 'urgent_only', 'always'];

/** Every routing input of routing.test.ts, as the decision it makes and whether SMS may reach the number. */
function* routes(): Generator<{ route: RouteDecision; smsAllowed: boolean }> {
  for (const live of [0, 1])
    for (const recentlyLive of optional)
      for (const pendingLive of optional)
        for (const webOnline of bools)
          for (const isSender of bools)
            for (const smsOptedOut of bools)
              for (const smsReachable of bools)
                for (const liveTimedOut of bools) {
                  const route = decideRoute({
                    presence: {
                      liveConnections: live,
                      webOnline,
                      ...(recentlyLive === undefined ? {} : { recentlyLive }),
                    },
                    isSender,
                    smsOptedOut,
                    smsReachable,
                    liveTimedOut,
                    ...(pendingLive === undefined ? {} : { pendingLive }),
                  });
                  yield { route, smsAllowed: !smsOptedOut && smsReachable };
                }
}

function* cases(): Generator<Case> {
  for (const r of routes())
    for (const smsMode of MODES)
      for (const muted of bools)
        for (const digest of bools)
          for (const urgent of bools)
            for (const quiet of bools)
              for (const budgetLeft of bools)
                yield { ...r, smsMode, muted, digest, urgent, quiet, budgetLeft };
}

function run(c: Case) {
  const prefs: DeliveryPrefs = {
    smsMode: c.smsMode,
    muted: c.muted,
    digest: c.digest,
    quiet: null,
    timeZone: null,
  };
  return decidePolicy({
    route: c.route,
    prefs,
    urgent: c.urgent,
    quietEndsAt: c.quiet ? QUIET_END : null,
    budgetLeft: c.budgetLeft,
    smsAllowed: c.smsAllowed,
  });
}

test('every combination of routing, preference, urgency, quiet hours and budget follows the documented table', () => {
  let n = 0;
  const rowsHit = new Set<string>();
  const reasonsHit = new Set<PolicyReason | null>();
  const wrong: string[] = [];
  for (const c of cases()) {
    n++;
    const row = TABLE.find((r) => r.when(c))!;
    rowsHit.add(row.row);
    const want = row.want(c);
    const got = run(c);
    reasonsHit.add(got.policy);
    const { route: _r, ...gotRest } = got;
    if (JSON.stringify(gotRest) !== JSON.stringify(want) || got.route !== c.route.reason)
      wrong.push(
        `${JSON.stringify(c)} [${row.row}]: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
      );
  }
  assert.equal(n, 2 * 3 * 3 * 2 ** 5 * 4 * 2 ** 5);
  assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} combinations disagree with docs/delivery.md`);
  assert.deepEqual([...rowsHit].sort(), TABLE.map((r) => r.row).sort(), 'every row is exercised');
  assert.deepEqual(
    [...reasonsHit].map(String).sort(),
    ['budget', 'digest', 'null', 'preference', 'quiet_hours', 'urgent'],
    'every policy reason is reachable',
  );
});

test('the promises behind the policy hold for every combination', () => {
  for (const c of cases()) {
    const d = run(c);
    const why = JSON.stringify(c);
    // Policy never texts a number the ladder may not text, nor anyone who said never, muted, or a spent budget.
    if (!c.smsAllowed || c.smsMode === 'never' || c.muted || !c.budgetLeft)
      assert.notEqual(d.rung, 'sms', why);
    // Policy never drops a message: every member the ladder reached is still reached.
    if (c.route.rung !== 'none') assert.notEqual(d.rung, 'none', why);
    // Live is never touched.
    if (c.route.rung === 'live') assert.equal(d.rung, 'live', why);
    // Quiet hours never send a non-urgent text now.
    if (c.quiet && !c.urgent && d.rung === 'sms') assert.equal(d.notBefore, QUIET_END, why);
    // An urgent text is never held.
    if (c.urgent && d.rung === 'sms') assert.equal(d.notBefore, null, why);
    // "SMS only for urgent" texts urgent messages only.
    if (c.smsMode === 'urgent_only' && d.rung === 'sms' && c.route.rung === 'sms') assert.ok(c.urgent, why);
  }
});
