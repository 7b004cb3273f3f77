// The cluster run's "decided twice" count on hand-made trail rows: a second route over a member's seqs is a
// fault; the inbox taking over queued texts, and an escalation texting what the inbox held, are not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DecisionRow, seqsDecidedTwice } from '../../helpers/decisions.ts';

const row = (f: number, t: number, rung: 'sms' | 'inbox', reason: string): DecisionRow => ({
  g: 3,
  u: 57,
  f,
  t,
  rung,
  reason,
  what: `${rung} (${reason})`,
});

test('two routes over the same seqs count once per seq decided again', () => {
  const r = seqsDecidedTwice([row(0, 5, 'sms', 'offline'), row(3, 8, 'sms', 'offline')]);
  assert.equal(r.count, 2, 'seqs 4 and 5');
  assert.match(r.detail[0]!, /^3:57:4: \(0,5\] sms \(offline\), then \(3,8\] sms/);
  assert.equal(seqsDecidedTwice([row(0, 5, 'sms', 'offline'), row(2, 4, 'inbox', 'web_online')]).count, 2);
});

test('an inbox answer that takes over queued texts re-decides them on purpose (the three-node run, CI stop 19)', () => {
  const rows = [
    row(87, 131, 'sms', 'live_ack_timeout'),
    row(115, 131, 'inbox', 'shown in the inbox before its SMS left (16 text(s) cancelled)'),
  ];
  assert.deepEqual({ ...seqsDecidedTwice(rows), detail: [] }, { count: 0, detail: [], onPurpose: 16 });
  // A plain route after the hand-over is still a second decision.
  assert.equal(seqsDecidedTwice([...rows, row(120, 131, 'sms', 'offline')]).count, 11);
});

test('an escalation texts what the inbox held on purpose; a hand-over with no text before it is a fault', () => {
  const esc = [
    row(0, 4, 'inbox', 'web_online'),
    row(0, 4, 'sms', 'escalated: still unread after the reminder'),
  ];
  assert.equal(seqsDecidedTwice(esc).count, 0);
  assert.equal(
    seqsDecidedTwice([
      row(0, 4, 'inbox', 'web_online'),
      row(0, 4, 'inbox', 'shown in the inbox before its SMS left (4 text(s) cancelled)'),
    ]).count,
    4,
    'a hand-over takes over texts: the seqs it covers were decided sms, not inbox',
  );
});
