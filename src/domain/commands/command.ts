// Types for SMS commands: what parseCommand understands from a member's text.

import type { PrefsChange } from './parse-prefs.ts';

export type Lang = 'en' | 'zh';

export type Command =
  | { kind: 'create'; name: string }
  | { kind: 'invite'; phones: string[] } // raw tokens as typed; normalisation to E.164 happens elsewhere
  | { kind: 'accept' }
  | { kind: 'decline' }
  | { kind: 'remove'; phone: string }
  | { kind: 'admin'; phone: string }
  | { kind: 'quit' }
  | { kind: 'list' }
  | { kind: 'rename'; name: string }
  | { kind: 'help' }
  | { kind: 'stop' }
  | { kind: 'start' }
  // Group address only: a plain group message. The text is trimmed at both ends, the inside is untouched.
  | { kind: 'message'; text: string }
  // Service number only: not a command. The text is trimmed at both ends, the inside is untouched.
  | { kind: 'unknown'; text: string }
  | { kind: 'invalid'; command: 'create' | 'rename'; reason: 'missing_name' | 'name_too_long' }
  /** Group address only: a delivery preference for this group (MUTE, SMS OFF, QUIET 22-7, …). */
  | { kind: 'prefs'; change: PrefsChange }
  | { kind: 'invalid_quiet' }
  /** Group address only: the code that confirms a pending membership change (groups that ask for it). */
  | { kind: 'confirm'; code: string };

export type ParsedCommand = Command & { lang: Lang };

export type Destination = 'service' | 'group';

export type CommandKind = Command['kind'];

// Longest group name, in code points (not UTF-16 units), so 40 Chinese characters are as fine as 40 Latin.
export const MAX_GROUP_NAME_LENGTH = 40;
