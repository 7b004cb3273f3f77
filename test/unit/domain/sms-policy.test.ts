// Which numbers get sign-in codes and invitations: premium-rate, shared-cost, satellite and other
// high-cost numbers never, other regions only when the operator allows them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numberPolicy, numberVerdict } from '../../../src/domain/sms-policy.ts';

const TYPES = 'MOBILE,FIXED_LINE_OR_MOBILE';
const HIGH_COST = [
  '+19005550123',
  '+449091234567',
  '+448712345678',
  '+881612345678',
  '+883510012345',
  '+33899123456',
];

test("by default only the default region and the service number's own region", () => {
  const p = numberPolicy({
    allowedRegions: undefined,
    allowedTypes: TYPES,
    defaultRegion: 'CN',
    ownNumbers: ['10658'],
  });
  assert.equal(numberVerdict('+8613800138000', p), 'ok');
  assert.equal(numberVerdict('+447400123456', p), 'region');
  const withUs = numberPolicy({
    allowedRegions: undefined,
    allowedTypes: TYPES,
    defaultRegion: 'CN',
    ownNumbers: ['+15005550006'],
  });
  assert.equal(numberVerdict('+12025550123', withUs), 'ok');
});

test('high-cost numbers are refused even where every region is allowed', () => {
  const p = numberPolicy({ allowedRegions: '*', allowedTypes: TYPES, defaultRegion: 'CN', ownNumbers: [] });
  for (const n of HIGH_COST) assert.notEqual(numberVerdict(n, p), 'ok', n);
  assert.equal(numberVerdict('+19005550123', p), 'type', 'premium rate');
  assert.equal(numberVerdict('+881612345678', p), 'region', 'satellite: non-geographic');
  assert.equal(numberVerdict('+447400123456', p), 'ok');
  assert.equal(numberVerdict('+33612345678', p), 'ok');
});

test('the operator can list regions (001 for non-geographic) and types', () => {
  const p = numberPolicy({
    allowedRegions: 'GB,001',
    allowedTypes: 'MOBILE',
    defaultRegion: 'CN',
    ownNumbers: [],
  });
  assert.equal(numberVerdict('+447400123456', p), 'ok');
  assert.equal(numberVerdict('+8613800138000', p), 'region');
  assert.equal(numberVerdict('+449091234567', p), 'type');
  assert.equal(numberVerdict('+881612345678', p), 'ok', 'satellite allowed on purpose');
});
