// The routing decision, exhaustively: every combination of every input of decideRoute (presence, sender, opt-out,
// reachability, live timeout, pending live acks) against the ladder as docs/delivery.md states it, rung and reason.
// Removing any rule from src/domain/routing.ts changes some combination's answer, so it fails this test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideRoute,
  type RouteReason,
  type RoutingInput,
  type Rung,
  shouldEscalate,
} from '../../../src/domain/routing.ts';

/** The inputs flattened, so that the rules below read like the table in docs/delivery.md. */
interface Case {
  live: number;
  recentlyLive: boolean | undefined;
  pendingLive: boolean | undefined;
  webOnline: boolean;
  isSender: boolean;
  smsOptedOut: boolean;
  smsReachable: boolean;
  liveTimedOut: boolean;
}

/**
 * docs/delivery.md "The routing decision", row by row, checked in this order; the first row that matches decides.
 * Written from the page, not from the code: each row is data, so a rule missing in the code shows up as a row
 * whose cases get another answer.
 */
const LADDER: { row: string; when: (c: Case) => boolean; rung: Rung; reason: (c: Case) => RouteReason }[] = [
  {
    row: 'the member is the sender, with a live connection',
    when: (c) => c.isSender && c.live > 0 && !c.liveTimedOut,
    rung: 'live',
    reason: () => 'sender_devices',
  },
  {
    row: 'the member is the sender, otherwise',
    when: (c) => c.isSender,
    rung: 'none',
    reason: () => 'sender_only',
  },
  {
    row: 'a live connection, and live not already timed out for this range',
    when: (c) => c.live > 0 && !c.liveTimedOut,
    rung: 'live',
    reason: () => 'live_connected',
  },
  {
    row: "earlier messages of the group still await this member's live ack",
    when: (c) => c.pendingLive === true && !c.liveTimedOut,
    rung: 'live',
    reason: () => 'live_pending',
  },
  {
    row: 'the last live connection closed within the ack timeout',
    when: (c) => c.recentlyLive === true && !c.liveTimedOut,
    rung: 'live',
    reason: () => 'live_reconnecting',
  },
  {
    row: 'web-online',
    when: (c) => c.webOnline,
    rung: 'inbox',
    reason: (c) => (c.liveTimedOut ? 'live_ack_timeout_web_online' : 'web_online'),
  },
  { row: 'the number sent STOP', when: (c) => c.smsOptedOut, rung: 'inbox', reason: () => 'sms_opted_out' },
  {
    row: 'the gateway cannot reach the number',
    when: (c) => !c.smsReachable,
    rung: 'inbox',
    reason: () => 'no_sms_route',
  },
  {
    row: 'otherwise',
    when: () => true,
    rung: 'sms',
    reason: (c) => (c.liveTimedOut ? 'live_ack_timeout' : 'offline'),
  },
];

const ALL_REASONS: RouteReason[] = [
  'live_connected',
  'live_reconnecting',
  'live_pending',
  'sender_devices',
  'sender_only',
  'web_online',
  'live_ack_timeout_web_online',
  'offline',
  'live_ack_timeout',
  'sms_opted_out',
  'no_sms_route',
];

const bools = [false, true];
const optional = [undefined, false, true];

function* cases(): Generator<Case> {
  for (const live of [0, 1, 3])
    for (const recentlyLive of optional)
      for (const pendingLive of optional)
        for (const webOnline of bools)
          for (const isSender of bools)
            for (const smsOptedOut of bools)
              for (const smsReachable of bools)
                for (const liveTimedOut of bools)
                  yield {
                    live,
                    recentlyLive,
                    pendingLive,
                    webOnline,
                    isSender,
                    smsOptedOut,
                    smsReachable,
                    liveTimedOut,
                  };
}

function inputOf(c: Case): RoutingInput {
  return {
    presence: {
      liveConnections: c.live,
      webOnline: c.webOnline,
      ...(c.recentlyLive === undefined ? {} : { recentlyLive: c.recentlyLive }),
    },
    isSender: c.isSender,
    smsOptedOut: c.smsOptedOut,
    smsReachable: c.smsReachable,
    liveTimedOut: c.liveTimedOut,
    ...(c.pendingLive === undefined ? {} : { pendingLive: c.pendingLive }),
  };
}

test('every combination of every input picks the rung and reason of the documented ladder', () => {
  let n = 0;
  const rowsHit = new Set<string>();
  const reasonsHit = new Set<RouteReason>();
  const wrong: string[] = [];
  for (const c of cases()) {
    n++;
    const row = LADDER.find((r) => r.when(c))!;
    rowsHit.add(row.row);
    const want = { rung: row.rung, reason: row.reason(c) };
    const got = decideRoute(inputOf(c));
    reasonsHit.add(got.reason);
    if (got.rung !== want.rung || got.reason !== want.reason)
      wrong.push(
        `${JSON.stringify(c)}: got ${got.rung}/${got.reason}, the ladder says ${want.rung}/${want.reason}`,
      );
  }
  assert.equal(n, 3 * 3 * 3 * 2 ** 5);
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} combinations disagree with docs/delivery.md`);
  assert.deepEqual(
    [...rowsHit].sort(),
    LADDER.map((r) => r.row).sort(),
    'every row of the ladder is exercised',
  );
  assert.deepEqual([...reasonsHit].sort(), [...ALL_REASONS].sort(), 'every reason is reachable');
});

test('the promises behind the ladder hold whatever the order of the rules', () => {
  for (const c of cases()) {
    const d = decideRoute(inputOf(c));
    const why = JSON.stringify(c);
    // The sender is never texted or put in their own inbox.
    if (c.isSender) assert.ok(d.rung === 'live' || d.rung === 'none', why);
    else assert.notEqual(d.rung, 'none', `a member always gets a rung: ${why}`);
    // Nobody opted out or unreachable is texted.
    if (c.smsOptedOut || !c.smsReachable) assert.notEqual(d.rung, 'sms', why);
    // Once live timed out for a range, live is not offered again for it.
    if (c.liveTimedOut) assert.notEqual(d.rung, 'live', why);
    // A member with a live connection (or one about to resume, or with acks pending) waits on live.
    if (!c.isSender && !c.liveTimedOut && (c.live > 0 || c.recentlyLive === true || c.pendingLive === true))
      assert.equal(d.rung, 'live', why);
    // A web-online member who is not on live gets the inbox, never a text.
    if (!c.isSender && c.webOnline) assert.notEqual(d.rung, 'sms', why);
  }
});

test('escalation only where the group asks and SMS can go', () => {
  const ok = { groupEscalates: true, smsOptedOut: false, smsReachable: true, unreadCount: 2 };
  assert.equal(shouldEscalate(ok), true);
  assert.equal(shouldEscalate({ ...ok, groupEscalates: false }), false);
  assert.equal(shouldEscalate({ ...ok, smsOptedOut: true }), false);
  assert.equal(shouldEscalate({ ...ok, smsReachable: false }), false);
  assert.equal(shouldEscalate({ ...ok, unreadCount: 0 }), false);
});
