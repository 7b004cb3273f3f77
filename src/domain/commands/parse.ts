// Turns the text of an incoming SMS into a Command, knowing whether it went to the service number or a group.
import type { Destination, Lang, ParsedCommand } from './command.ts';
import { MAX_GROUP_NAME_LENGTH } from './command.ts';
import { parsePrefs } from './parse-prefs.ts';

type WordKind = 'accept' | 'decline' | 'help' | 'stop' | 'start' | 'quit' | 'list';
type ArgKind = 'create' | 'rename' | 'invite' | 'remove' | 'admin';
type Keyword<K> = { kind: K; lang: Lang };

// Commands that are the whole text. Latin keys are matched after NFKC + lower-casing, so full-width
// letters (typed with a Chinese IME) work too. TD is the mainland-China carrier opt-out word, so it is 'zh'.
const WORDS: ReadonlyMap<string, Keyword<WordKind>> = new Map([
  ['y', { kind: 'accept', lang: 'en' }],
  ['join', { kind: 'accept', lang: 'en' }],
  ['是', { kind: 'accept', lang: 'zh' }],
  ['n', { kind: 'decline', lang: 'en' }],
  ['decline', { kind: 'decline', lang: 'en' }],
  ['否', { kind: 'decline', lang: 'zh' }],
  ['help', { kind: 'help', lang: 'en' }],
  ['帮助', { kind: 'help', lang: 'zh' }],
  ['stop', { kind: 'stop', lang: 'en' }],
  ['unsubscribe', { kind: 'stop', lang: 'en' }],
  ['td', { kind: 'stop', lang: 'zh' }],
  ['退订', { kind: 'stop', lang: 'zh' }],
  ['start', { kind: 'start', lang: 'en' }],
  ['unstop', { kind: 'start', lang: 'en' }],
  ['开通', { kind: 'start', lang: 'zh' }],
  ['quit', { kind: 'quit', lang: 'en' }],
  ['退出', { kind: 'quit', lang: 'zh' }],
  ['list', { kind: 'list', lang: 'en' }],
  ['成员', { kind: 'list', lang: 'zh' }],
]);

// Whole-text words that also mean something at the service number; the rest are group-only.
const SERVICE_WORDS: ReadonlySet<WordKind> = new Set(['help', 'stop', 'start']);

// Latin keywords that take an argument: must be followed by whitespace, a colon or the end.
const LATIN_ARGS: ReadonlyMap<string, ArgKind> = new Map([
  ['create', 'create'],
  ['name', 'rename'],
  ['g', 'invite'],
  ['del', 'remove'],
  ['admin', 'admin'],
]);

// Chinese keywords that take an argument: Chinese is written without spaces, so the argument may follow directly.
const CHINESE_ARGS: ReadonlyArray<readonly [string, ArgKind]> = [
  ['建群', 'create'],
  ['改名', 'rename'],
  ['邀请', 'invite'],
  ['踢', 'remove'],
  ['管理员', 'admin'],
];

// Punctuation allowed after a whole-text command ("Y!", "是。", "Help?"). A question mark is only allowed
// after HELP: "Y?" is SMS shorthand for "why?", and "stop?"/"quit?" are questions to the group, not commands.
const TRAILING_PUNCT = /[\s.!。！~～…?？]+$/u;
// Longer texts cannot be a single keyword plus punctuation; the cut-off also keeps the regex cheap on 10 kB texts.
const MAX_WORD_TEXT = 32;
const QUESTION = /[?？]/u;
const ONLY_QUESTION_MARKS = /^[?？]+$/u;

// Arguments of phone-taking commands are separated by whitespace (incl. U+3000), commas, 、 or semicolons.
const ARG_SEPARATORS = /[\s,，、;；]+/u;
// A phone token, after NFKC: optional leading +, then digits with -, ( ) as formatting. Spaces never join
// parts of a number: "138 0013 8000" is three tokens, which the E.164 normaliser will report as invalid.
const PHONE_TOKEN = /^\+?[0-9(][0-9()-]*$/u;
const DIGIT = /[0-9]/u;

const SENTENCE_END = new Set(['.', '!', '。', '！']);

const CJK = /\p{Unified_Ideograph}/u;
const LATIN_HEAD = /^([^\s:：]+)\s*[:：]?/u;

export function parseCommand(text: string, to: Destination): ParsedCommand {
  // trim() also strips U+3000 and line breaks. The type says string, but JSON callers may not honour it.
  const trimmed = typeof text === 'string' ? text.trim() : '';
  try {
    return parse(trimmed, to);
  } catch {
    // Defensive only: parsing is meant to be total. A failure must never lose a member's text.
    return plain(trimmed, to);
  }
}

// CONFIRM 1234 / 确认1234: only the whole text, so "confirm 10 people" stays a message.
const CONFIRM = /^(confirm|确认)\s*[:：]?\s*([0-9]{4,6})[.!。！]?$/iu;

function parse(text: string, to: Destination): ParsedCommand {
  const confirm = to === 'group' ? CONFIRM.exec(text.normalize('NFKC')) : null;
  if (confirm) return { kind: 'confirm', code: confirm[2]!, lang: confirm[1] === '确认' ? 'zh' : 'en' };
  const prefs = to === 'group' ? parsePrefs(text) : undefined;
  if (prefs) return prefs;
  const word = matchWord(text);
  if (word) {
    // At the service number group-only words (Y, QUIT, …) name no group, so they are not commands there.
    if (to === 'group' || SERVICE_WORDS.has(word.kind)) return { kind: word.kind, lang: word.lang };
    return plain(text, to);
  }
  const arg = matchArgKeyword(text);
  if (!arg) return plain(text, to);
  const { kind, lang, rest } = arg;
  if (kind === 'create') {
    // At a group address "create" is an ordinary word ("Create a poll?"), so it stays a message there.
    return to === 'service' ? nameCommand('create', rest, lang) : plain(text, to);
  }
  if (to === 'service') return plain(text, to);
  // NAME always means rename at a group address, even with no name: the member clearly meant the command.
  if (kind === 'rename') return nameCommand('rename', rest, lang);
  // A sentence end after the numbers ("踢13800138000。") is punctuation, not part of the last number.
  const tokens = stripEnd(rest, SENTENCE_END)
    .split(ARG_SEPARATORS)
    .filter((t) => t !== '');
  // "G'day", "Del is late", a bare "G": only all-phone arguments make a command, anything else is chat.
  if (tokens.length === 0 || !tokens.every(isPhoneToken)) return plain(text, to);
  // Phones are returned NFKC-normalised (full-width digits → ASCII) but otherwise as typed.
  const phones = tokens.map((t) => t.normalize('NFKC'));
  if (kind === 'invite') return { kind, phones, lang };
  // DEL/ADMIN act on one member; several numbers are ambiguous (maybe a spaced-out number), so it is chat.
  if (phones.length !== 1) return plain(text, to);
  return { kind, phone: phones[0]!, lang };
}

function matchWord(text: string): Keyword<WordKind> | undefined {
  if (text.length > MAX_WORD_TEXT) return undefined;
  if (ONLY_QUESTION_MARKS.test(text)) return { kind: 'help', lang: text.includes('？') ? 'zh' : 'en' };
  const trailing = TRAILING_PUNCT.exec(text)?.[0] ?? '';
  const core = text.slice(0, text.length - trailing.length);
  const word = WORDS.get(core.normalize('NFKC').toLowerCase());
  if (!word) return undefined;
  if (word.kind !== 'help' && QUESTION.test(trailing)) return undefined;
  return word;
}

function matchArgKeyword(text: string): (Keyword<ArgKind> & { rest: string }) | undefined {
  for (const [keyword, kind] of CHINESE_ARGS) {
    if (text.startsWith(keyword)) {
      const rest = text.slice(keyword.length).replace(/^\s*[:：]?/u, '');
      return { kind, lang: 'zh', rest };
    }
  }
  const head = LATIN_HEAD.exec(text);
  if (!head) return undefined;
  const kind = LATIN_ARGS.get(head[1]!.normalize('NFKC').toLowerCase());
  return kind ? { kind, lang: 'en', rest: text.slice(head[0].length) } : undefined;
}

function nameCommand(command: 'create' | 'rename', rest: string, lang: Lang): ParsedCommand {
  const name = cleanName(rest);
  if (name === '') return { kind: 'invalid', command, reason: 'missing_name', lang };
  if ([...name].length > MAX_GROUP_NAME_LENGTH)
    return { kind: 'invalid', command, reason: 'name_too_long', lang };
  return { kind: command, name, lang };
}

// Quote pairs people wrap a name in; replies quote names themselves, so one matched pair is dropped.
const QUOTE_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['‘', '’'],
  ['「', '」'],
  ['『', '』'],
  ['《', '》'],
];

// Names are stored and shown everywhere: no control characters, no lone surrogates, single spaces.
function cleanName(rest: string): string {
  let name = rest
    .toWellFormed()
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
  for (const [open, close] of QUOTE_PAIRS) {
    if (name.length >= open.length + close.length + 1 && name.startsWith(open) && name.endsWith(close)) {
      name = name.slice(open.length, name.length - close.length).trim();
      break;
    }
  }
  return name;
}

// Drops trailing characters in `chars` (all single UTF-16 units). A loop, as a /[…]+$/ regex is quadratic.
function stripEnd(s: string, chars: ReadonlySet<string>): string {
  let end = s.length;
  while (end > 0 && chars.has(s[end - 1]!)) end--;
  return s.slice(0, end);
}

function isPhoneToken(token: string): boolean {
  const t = token.normalize('NFKC');
  return PHONE_TOKEN.test(t) && DIGIT.test(t);
}

// Not a command: chat at a group address, unknown at the service number. Language follows the script.
function plain(text: string, to: Destination): ParsedCommand {
  const lang: Lang = CJK.test(text) ? 'zh' : 'en';
  return to === 'group' ? { kind: 'message', text, lang } : { kind: 'unknown', text, lang };
}
