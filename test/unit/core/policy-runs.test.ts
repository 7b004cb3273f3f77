// A re-routed range is cut into runs of equal policy decisions, in order, covering every seq once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { policyRuns } from '../../../src/core/policy-runs.ts';
import type { PolicyDecision } from '../../../src/domain/policy.ts';
import type { StoredMessage, User } from '../../../src/store/store.ts';

const msg = (seq: number, urgent = false): StoredMessage => ({
  groupId: 1,
  seq,
  id: `m${seq}`,
  senderId: 9,
  body: `b${seq}`,
  source: 'http',
  clientMsgId: null,
  audience: 'all',
  createdAt: 0,
  ...(urgent ? { urgent: true } : {}),
});
const sender: User = {
  id: 9,
  phone: '+8613800000009',
  displayName: null,
  smsOptedOut: false,
  lastGroupId: null,
  createdAt: 0,
};
const d = (rung: 'sms' | 'inbox', policy: PolicyDecision['policy']): PolicyDecision => ({
  rung,
  route: 'offline',
  policy,
  notBefore: null,
  reminder: rung === 'inbox',
  digest: false,
});
// SMS only for urgent: urgent messages are texted, the rest go to the inbox.
const decide = (m: StoredMessage) => (m.urgent ? d('sms', 'urgent') : d('inbox', 'preference'));

test('runs split where the decision changes; messages with nothing to deliver join the run before them', () => {
  const items = [
    { msg: msg(1), sender },
    { msg: msg(2), sender },
    { msg: msg(3, true), sender },
    { msg: msg(4) }, // the member's own message
    { msg: msg(5), sender },
  ];
  const runs = policyRuns(items, { decide, smsOnly: false });
  assert.deepEqual(
    runs.map((r) => [r.decision.policy, r.items.map((i) => i.msg.seq), r.to]),
    [
      ['preference', [1, 2], 2],
      ['urgent', [3], 4],
      ['preference', [5], 5],
    ],
  );
});

test('an escalation keeps what policy holds off SMS in the inbox, covered but not texted', () => {
  const items = [
    { msg: msg(1), sender },
    { msg: msg(2, true), sender },
    { msg: msg(3), sender },
  ];
  const runs = policyRuns(items, { decide, smsOnly: true });
  assert.deepEqual(
    runs.map((r) => [r.decision.rung, r.items.map((i) => i.msg.seq), r.to]),
    [
      ['inbox', [], 1],
      ['sms', [2], 3],
    ],
  );
});
