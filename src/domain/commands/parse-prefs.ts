// The delivery-preference commands (group address only, the whole text): MUTE, SMS OFF/ON/URGENT/ALWAYS,
// DIGEST ON/OFF, QUIET 22-7 [zone] / QUIET OFF, and their Chinese forms (免打扰, 短信关, 静音22-7 …).
import type { Lang } from './command.ts';

export type PrefsChange =
  | { what: 'sms'; mode: 'normal' | 'never' | 'urgent_only' | 'always' }
  | { what: 'mute'; on: boolean }
  | { what: 'digest'; on: boolean }
  | { what: 'quiet'; start: number; end: number; zone: string | null }
  | { what: 'quiet_off' };

export type PrefsParse =
  | { kind: 'prefs'; change: PrefsChange; lang: Lang }
  | { kind: 'invalid_quiet'; lang: Lang };

// Matched after NFKC + lower-casing (full-width letters and digits work), trailing punctuation dropped.
const WHOLE: ReadonlyMap<string, { change: PrefsChange; lang: Lang }> = new Map([
  ['mute', { change: { what: 'mute', on: true }, lang: 'en' }],
  ['unmute', { change: { what: 'mute', on: false }, lang: 'en' }],
  ['免打扰', { change: { what: 'mute', on: true }, lang: 'zh' }],
  ['取消免打扰', { change: { what: 'mute', on: false }, lang: 'zh' }],
  ['sms off', { change: { what: 'sms', mode: 'never' }, lang: 'en' }],
  ['sms on', { change: { what: 'sms', mode: 'normal' }, lang: 'en' }],
  ['sms urgent', { change: { what: 'sms', mode: 'urgent_only' }, lang: 'en' }],
  ['sms always', { change: { what: 'sms', mode: 'always' }, lang: 'en' }],
  ['短信关', { change: { what: 'sms', mode: 'never' }, lang: 'zh' }],
  ['短信开', { change: { what: 'sms', mode: 'normal' }, lang: 'zh' }],
  ['短信紧急', { change: { what: 'sms', mode: 'urgent_only' }, lang: 'zh' }],
  ['短信全收', { change: { what: 'sms', mode: 'always' }, lang: 'zh' }],
  ['digest on', { change: { what: 'digest', on: true }, lang: 'en' }],
  ['digest off', { change: { what: 'digest', on: false }, lang: 'en' }],
  ['摘要开', { change: { what: 'digest', on: true }, lang: 'zh' }],
  ['摘要关', { change: { what: 'digest', on: false }, lang: 'zh' }],
  ['quiet off', { change: { what: 'quiet_off' }, lang: 'en' }],
  ['静音关', { change: { what: 'quiet_off' }, lang: 'zh' }],
]);

const TRAILING = /[\s.!。！~～]+$/u;
// QUIET 22-7, QUIET 22:00-07:00, 静音22-7, optionally followed by an IANA zone name.
const QUIET =
  /^(quiet|静音)\s*[:：]?\s*(\d{1,2})(?::00)?\s*[-–~～到至]\s*(\d{1,2})(?::00)?(?:\s+([a-z_]+(?:\/[a-z0-9_+-]+){1,2}|utc))?$/iu;
const QUIET_HEAD = /^(quiet|静音)(\s|[:：0-9]|$)/iu;

export function parsePrefs(text: string): PrefsParse | undefined {
  if (text.length > 60) return undefined;
  const t = text.normalize('NFKC').replace(TRAILING, '').replace(/\s+/gu, ' ');
  const whole = WHOLE.get(t.toLowerCase());
  if (whole) return { kind: 'prefs', ...whole };
  const q = QUIET.exec(t);
  if (q) {
    const lang: Lang = q[1] === '静音' ? 'zh' : 'en';
    const start = Number(q[2]);
    const end = Number(q[3]);
    if (start > 23 || end > 23 || start === end) return { kind: 'invalid_quiet', lang };
    return { kind: 'prefs', change: { what: 'quiet', start, end, zone: q[4] ?? null }, lang };
  }
  // "QUIET 25-7", "静音 晚上": the member meant the command but wrote it wrong. Longer texts stay chat.
  if (QUIET_HEAD.test(t) && t.length <= 24 && /\d/u.test(t)) {
    return { kind: 'invalid_quiet', lang: t.startsWith('静音') ? 'zh' : 'en' };
  }
  return undefined;
}
