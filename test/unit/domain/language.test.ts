// The language rule: typed keyword first, then a stored preference, then the number's region.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { regionLanguage, textLanguage } from '../../../src/domain/language.ts';

test('the typed command decides, whatever the number', () => {
  assert.equal(textLanguage({ typed: 'en', phone: '+8613800138000' }), 'en');
  assert.equal(textLanguage({ typed: 'zh', phone: '+447400123456' }), 'zh');
  assert.equal(textLanguage({ typed: 'en', preferred: 'zh', phone: '+8613800138000' }), 'en');
});

test('a stored preference comes before the region', () => {
  assert.equal(textLanguage({ preferred: 'en', phone: '+8613800138000' }), 'en');
  assert.equal(textLanguage({ preferred: 'zh', phone: '+447400123456' }), 'zh');
  assert.equal(textLanguage({ preferred: null, phone: '+8613800138000' }), 'zh');
});

test('the region of the number, by its country, not by a prefix of digits', () => {
  assert.equal(regionLanguage('+8613800138000'), 'zh');
  assert.equal(regionLanguage('+447400123456'), 'en');
  // +886 (Taiwan) and +852 (Hong Kong) are not China; a satellite number has no region at all.
  assert.equal(regionLanguage('+886912345678'), 'en');
  assert.equal(regionLanguage('+85291234567'), 'en');
  assert.equal(regionLanguage('+881612345678'), 'en');
  assert.equal(regionLanguage('not a number'), 'en');
});

test('the calling-code shortcut gives what a full parse of the number gives', () => {
  // regionLanguage skips libphonenumber for +86 (a code no other region shares); for any string, the
  // answer must be the one the parse decides.
  const parsed = (p: string) => (parsePhoneNumberFromString(p)?.country === 'CN' ? 'zh' : 'en');
  const prefix = fc.constantFrom('+86', '+852', '+853', '+886', '+8', '+1', '+44', '+', '86', '');
  const rest = fc.stringMatching(/^[0-9 ]{0,18}$/);
  fc.assert(
    fc.property(prefix, rest, (p, r) => regionLanguage(p + r) === parsed(p + r)),
    { numRuns: Number(process.env['QUN_FUZZ_RUNS']) || 2000 },
  );
  assert.equal(regionLanguage('+8613800138000'), 'zh');
});
