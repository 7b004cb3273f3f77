// The delivery-preference commands in both languages: what each sets, what is refused, what stays chat.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand } from '../../../src/domain/commands/parse.ts';

const group = (t: string) => parseCommand(t, 'group');

describe('preference commands at a group address', () => {
  const cases: [string, object, 'en' | 'zh'][] = [
    ['MUTE', { what: 'mute', on: true }, 'en'],
    ['unmute', { what: 'mute', on: false }, 'en'],
    ['免打扰', { what: 'mute', on: true }, 'zh'],
    ['取消免打扰', { what: 'mute', on: false }, 'zh'],
    ['SMS OFF', { what: 'sms', mode: 'never' }, 'en'],
    ['sms  on.', { what: 'sms', mode: 'normal' }, 'en'],
    ['SMS URGENT', { what: 'sms', mode: 'urgent_only' }, 'en'],
    ['ＳＭＳ ＡＬＷＡＹＳ', { what: 'sms', mode: 'always' }, 'en'],
    ['短信关', { what: 'sms', mode: 'never' }, 'zh'],
    ['短信开', { what: 'sms', mode: 'normal' }, 'zh'],
    ['短信紧急', { what: 'sms', mode: 'urgent_only' }, 'zh'],
    ['短信全收', { what: 'sms', mode: 'always' }, 'zh'],
    ['DIGEST ON', { what: 'digest', on: true }, 'en'],
    ['摘要关', { what: 'digest', on: false }, 'zh'],
    ['QUIET 22-7', { what: 'quiet', start: 22, end: 7, zone: null }, 'en'],
    ['quiet 22:00-07:00', { what: 'quiet', start: 22, end: 7, zone: null }, 'en'],
    ['QUIET 23-6 America/Denver', { what: 'quiet', start: 23, end: 6, zone: 'America/Denver' }, 'en'],
    ['静音22-7', { what: 'quiet', start: 22, end: 7, zone: null }, 'zh'],
    ['静音 22到7', { what: 'quiet', start: 22, end: 7, zone: null }, 'zh'],
    ['QUIET OFF', { what: 'quiet_off' }, 'en'],
    ['静音关', { what: 'quiet_off' }, 'zh'],
  ];
  for (const [text, change, lang] of cases)
    it(text, () => assert.deepEqual(group(text), { kind: 'prefs', change, lang }));

  it('a wrong hour or an empty window is explained', () => {
    assert.deepEqual(group('QUIET 25-7'), { kind: 'invalid_quiet', lang: 'en' });
    assert.deepEqual(group('QUIET 7-7'), { kind: 'invalid_quiet', lang: 'en' });
    assert.deepEqual(group('静音 99'), { kind: 'invalid_quiet', lang: 'zh' });
  });

  it('sentences stay messages, and the service number does not take them', () => {
    assert.equal(group('Mute your phones during the talk').kind, 'message');
    assert.equal(group('quiet please').kind, 'message');
    assert.equal(group('SMS off? why').kind, 'message');
    assert.equal(group('The quiet 2 hours after lunch were the best part of the whole trip').kind, 'message');
    assert.equal(parseCommand('MUTE', 'service').kind, 'unknown');
  });
});
