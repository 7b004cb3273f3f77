// The routing decision, exhaustively: every combination of presence, sender, opt-out, reachability and
// live timeout maps to exactly the rung the ladder promises.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRoute, type RoutingInput, shouldEscalate } from '../../../src/domain/routing.ts';

const bools = [false, true];

function expected(i: RoutingInput): string {
  const live = i.presence.liveConnections > 0 && !i.liveTimedOut;
  const waitForLive = !i.liveTimedOut && (i.pendingLive === true || i.presence.recentlyLive === true);
  if (i.isSender) return live ? 'live' : 'none';
  if (live || waitForLive) return 'live';
  if (i.presence.webOnline) return 'inbox';
  if (i.smsOptedOut || !i.smsReachable) return 'inbox';
  return 'sms';
}

test('every input combination picks the promised rung', () => {
  let n = 0;
  for (const live of [0, 1, 3])
    for (const recentlyLive of bools)
      for (const pendingLive of bools)
        for (const webOnline of bools)
          for (const isSender of bools)
            for (const smsOptedOut of bools)
              for (const smsReachable of bools)
                for (const liveTimedOut of bools) {
                  const input = {
                    presence: { liveConnections: live, webOnline },
                    isSender,
                    smsOptedOut,
                    smsReachable,
                    liveTimedOut,
                  };
                  const d = decideRoute(input);
                  assert.equal(d.rung, expected(input), JSON.stringify(input));
                  n++;
                }
  assert.equal(n, 384);
});

test('reasons say why', () => {
  const base = {
    presence: { liveConnections: 0, webOnline: false },
    isSender: false,
    smsOptedOut: false,
    smsReachable: true,
    liveTimedOut: false,
  };
  assert.equal(decideRoute(base).reason, 'offline');
  assert.equal(decideRoute({ ...base, liveTimedOut: true }).reason, 'live_ack_timeout');
  assert.equal(
    decideRoute({ ...base, presence: { liveConnections: 0, webOnline: true }, liveTimedOut: true }).reason,
    'live_ack_timeout_web_online',
  );
  assert.equal(decideRoute({ ...base, smsOptedOut: true }).reason, 'sms_opted_out');
  assert.equal(decideRoute({ ...base, smsReachable: false }).reason, 'no_sms_route');
  assert.equal(decideRoute({ ...base, isSender: true }).reason, 'sender_only');
  assert.equal(
    decideRoute({ ...base, isSender: true, presence: { liveConnections: 1, webOnline: false } }).reason,
    'sender_devices',
  );
  assert.equal(
    decideRoute({ ...base, presence: { liveConnections: 2, webOnline: true } }).reason,
    'live_connected',
  );
});

test('escalation only where the group asks and SMS can go', () => {
  const ok = { groupEscalates: true, smsOptedOut: false, smsReachable: true, unreadCount: 2 };
  assert.equal(shouldEscalate(ok), true);
  assert.equal(shouldEscalate({ ...ok, groupEscalates: false }), false);
  assert.equal(shouldEscalate({ ...ok, smsOptedOut: true }), false);
  assert.equal(shouldEscalate({ ...ok, smsReachable: false }), false);
  assert.equal(shouldEscalate({ ...ok, unreadCount: 0 }), false);
});
