// GSM 03.38 (3GPP TS 23.038) default alphabet and extension table: membership, septet length and the
// unpacked one-septet-per-octet form that SMPP submit_sm carries with data_coding 0.

/** The escape septet that announces a character from the extension table. */
export const GSM7_ESCAPE = 0x1b;

/** Substitute for characters the alphabet cannot carry (callers should have chosen UCS-2 instead). */
const REPLACEMENT_SEPTET = 0x3f; // '?'

// Index = septet value. 0x1B is the escape, so it has no character of its own ('' keeps indices aligned).
// 0x09 is 'Ç' (capital) as in the spec table; some handsets show 'ç', but encoding 'ç' here would make
// the round trip lossy, so 'ç' is not treated as GSM-7.
const BASIC_TABLE =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

// Extension table entries: character → septet that follows the escape.
const EXTENSION_PAIRS: ReadonlyArray<readonly [string, number]> = [
  ['\f', 0x0a],
  ['^', 0x14],
  ['{', 0x28],
  ['}', 0x29],
  ['\\', 0x2f],
  ['[', 0x3c],
  ['~', 0x3d],
  [']', 0x3e],
  ['|', 0x40],
  ['€', 0x65],
];

const BASIC_ENCODE = new Map<number, number>();
const BASIC_DECODE: string[] = [];
for (let septet = 0; septet < 128; septet++) {
  const ch = BASIC_TABLE[septet] ?? '';
  BASIC_DECODE.push(ch);
  if (septet !== GSM7_ESCAPE) BASIC_ENCODE.set(ch.charCodeAt(0), septet);
}
if (BASIC_DECODE.length !== 128 || BASIC_TABLE.length !== 128) throw new Error('GSM-7 table is malformed');

const EXTENSION_ENCODE = new Map<number, number>(EXTENSION_PAIRS.map(([ch, s]) => [ch.charCodeAt(0), s]));
const EXTENSION_DECODE = new Map<number, string>(EXTENSION_PAIRS.map(([ch, s]) => [s, ch]));

/**
 * Septets one code point costs in GSM-7: 1 (basic table), 2 (extension table), or 0 when it is not
 * representable at all. Every GSM-7 character is a single BMP code unit, so this takes a char code.
 */
export function gsm7CostOf(codePoint: number): 0 | 1 | 2 {
  if (BASIC_ENCODE.has(codePoint)) return 1;
  if (EXTENSION_ENCODE.has(codePoint)) return 2;
  return 0;
}

/** True when every character of `text` is in the default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (gsm7CostOf(text.charCodeAt(i)) === 0) return false;
  }
  return true;
}

/**
 * Length in septets. Characters outside the alphabet count as 1, matching what encodeGsm7Unpacked
 * emits for them ('?'), so the two always agree.
 */
export function gsm7Septets(text: string): number {
  let n = 0;
  for (const ch of text) n += gsm7CostOf(ch.codePointAt(0)!) || 1;
  return n;
}

/**
 * One septet value per octet; extension characters become 0x1B followed by their code. Unrepresentable
 * code points (a surrogate pair counts as one) become '?' rather than throwing: a send path should
 * degrade, not crash, and analyze() is where the encoding choice is made.
 */
export function encodeGsm7Unpacked(text: string): Buffer {
  const out = Buffer.allocUnsafe(gsm7Septets(text));
  let o = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const basic = BASIC_ENCODE.get(cp);
    if (basic !== undefined) {
      out[o++] = basic;
      continue;
    }
    const ext = EXTENSION_ENCODE.get(cp);
    if (ext !== undefined) {
      out[o++] = GSM7_ESCAPE;
      out[o++] = ext;
      continue;
    }
    out[o++] = REPLACEMENT_SEPTET;
  }
  return out;
}

/**
 * Inverse of encodeGsm7Unpacked; never throws. Per TS 23.038, an escape followed by a code with no
 * extension character shows the basic-table character for that code. A trailing lone escape or a
 * double escape (reserved for a further table) reads as a space; octets above 0x7F (not septets) are
 * masked to 7 bits, as a lenient SMSC would.
 */
export function decodeGsm7Unpacked(buf: Uint8Array): string {
  let out = '';
  for (let i = 0; i < buf.length; i++) {
    const septet = buf[i]! & 0x7f;
    if (septet !== GSM7_ESCAPE) {
      out += BASIC_DECODE[septet];
      continue;
    }
    if (i + 1 >= buf.length) {
      out += ' ';
      continue;
    }
    const next = buf[++i]! & 0x7f;
    if (next === GSM7_ESCAPE) out += ' ';
    else out += EXTENSION_DECODE.get(next) ?? BASIC_DECODE[next];
  }
  return out;
}
