// The receipt rule shared by both store engines: same session first, the newest text otherwise (only
// once the receipt has waited), an ended text never ends again, and several open candidates across
// sessions are ambiguous rather than guessed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanReason, matchReceipt, type ReceiptCandidate } from '../../../src/domain/sms/receipt-match.ts';

const c = (
  id: number,
  state: ReceiptCandidate['state'],
  gatewaySession: string | null,
): ReceiptCandidate => ({
  id,
  state,
  gatewaySession,
});
const ok = { session: 's2', delivered: true };

test('within its session, the newest text with the id', () => {
  const cands = [c(9, 'submitted', 's2'), c(5, 'submitted', 's1'), c(3, 'submitted', 's2')];
  assert.deepEqual(matchReceipt(cands, ok, false), { kind: 'apply', id: 9, how: 'session' });
  assert.deepEqual(matchReceipt(cands, { session: 's1', delivered: true }, false), {
    kind: 'apply',
    id: 5,
    how: 'session',
  });
});

test('nothing in its session: it waits, then takes the newest text from an earlier session', () => {
  const cands = [c(5, 'submitted', 's1')];
  assert.deepEqual(matchReceipt(cands, ok, false), { kind: 'wait' });
  assert.deepEqual(matchReceipt(cands, ok, true), { kind: 'apply', id: 5, how: 'newest' });
  assert.deepEqual(matchReceipt([], ok, true), { kind: 'wait' }, 'the caller counts it unmatched at expiry');
});

test('an ended text keeps its ending', () => {
  assert.deepEqual(matchReceipt([c(5, 'failed', 's2')], ok, false), {
    kind: 'conflict',
    id: 5,
    state: 'failed',
  });
  assert.deepEqual(matchReceipt([c(5, 'delivered', 's2')], ok, false), { kind: 'duplicate', id: 5 });
  assert.deepEqual(matchReceipt([c(5, 'cancelled', null)], { session: null, delivered: false }, false), {
    kind: 'conflict',
    id: 5,
    state: 'cancelled',
  });
});

test('the newest from another session has ended while an older one is open: ambiguous', () => {
  const cands = [c(7, 'delivered', 's1'), c(4, 'submitted', 's0')];
  assert.deepEqual(matchReceipt(cands, ok, true), { kind: 'ambiguous', ids: [7, 4] });
});

test('gateways with unique refs (no session) take the text with that ref at once', () => {
  assert.deepEqual(matchReceipt([c(5, 'submitted', null)], { session: null, delivered: false }, false), {
    kind: 'apply',
    id: 5,
    how: 'newest',
  });
});

test('reasons lose control bytes and UDH', () => {
  assert.equal(cleanReason('NACK/\u0005\u0000\u0003\u0007\u0002\u0001x\r\ny\u0000'), 'NACK/x y');
  assert.equal([...cleanReason('é'.repeat(500))].length, 200);
});
