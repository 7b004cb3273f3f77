// SMS segmentation: picks GSM-7 or UCS-2, counts parts, splits and truncates text on safe boundaries,
// and builds the SMPP short_message payloads (with concatenation UDH) for each part.
import { decodeGsm7Unpacked, encodeGsm7Unpacked, gsm7CostOf, gsm7Septets, isGsm7 } from './gsm7.ts';
import { smartSubstitute } from './substitute.ts';

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SubstitutionOptions {
  /** Try smartSubstitute() when the text is not GSM-7; keep it only if it makes the text GSM-7. */
  smartSubstitution?: boolean;
}

export interface PartOptions {
  /** Use the 16-bit reference UDH (IEI 0x08), one octet longer, so one unit less fits in each part. */
  udh16?: boolean;
}

export interface Analysis {
  encoding: SmsEncoding;
  /** The text to send: substituted when that made it GSM-7, the original otherwise. */
  text: string;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

// A part carries 140 octets: 160 septets or 70 UCS-2 units alone. With a concatenation UDH the header
// (6 octets for 8-bit refs, 7 for 16-bit) is padded to whole septets in GSM-7: 7 or 8 septets lost.
const LIMITS = {
  gsm7: { single: 160, multi: 153, multi16: 152 },
  ucs2: { single: 70, multi: 67, multi16: 66 },
} as const;

/** At most this many parts: the UDH total/seq fields are one octet. */
export const MAX_PARTS = 255;

// How far back truncateToSegments looks for a space so it does not cut a word in half.
const WORD_LOOKBACK = 10;

/** Units one code point costs: a GSM-7 extension char is 2 septets, a surrogate pair 2 code units. */
function costOf(ch: string, encoding: SmsEncoding): number {
  if (encoding === 'ucs2') return ch.length;
  // Unrepresentable characters become '?' when encoded (see encodeGsm7Unpacked): one septet.
  return gsm7CostOf(ch.codePointAt(0)!) || 1;
}

function perPart(encoding: SmsEncoding, udh16: boolean): number {
  return udh16 ? LIMITS[encoding].multi16 : LIMITS[encoding].multi;
}

/**
 * Greedy packing of indivisible items (code points) into parts. Greedy is optimal for an ordered
 * split, and the count never shrinks as items are appended, which truncateToSegments relies on.
 */
function countParts(costs: readonly number[], encoding: SmsEncoding, udh16 = false): number {
  let total = 0;
  for (const c of costs) total += c;
  if (total <= LIMITS[encoding].single) return 1;
  const limit = perPart(encoding, udh16);
  let parts = 1;
  let used = 0;
  for (const c of costs) {
    if (used + c > limit) {
      parts++;
      used = 0;
    }
    used += c;
  }
  return parts;
}

/** Chooses the encoding (optionally after smart substitution) and counts units and segments. */
export function analyze(text: string, opts: SubstitutionOptions = {}): Analysis {
  const measure = (t: string, encoding: SmsEncoding): Analysis => ({
    encoding,
    text: t,
    units: encoding === 'gsm7' ? gsm7Septets(t) : t.length,
    segments: countParts(
      Array.from(t, (ch) => costOf(ch, encoding)),
      encoding,
    ),
  });
  if (isGsm7(text)) return measure(text, 'gsm7');
  const ucs2 = measure(text, 'ucs2');
  if (!opts.smartSubstitution) return ucs2;
  const substituted = smartSubstitute(text);
  if (!isGsm7(substituted)) return ucs2;
  // '…' becomes three septets, so a text full of ellipses could need more parts in GSM-7 than it did
  // in UCS-2; substitution is only worth it when it does not cost parts.
  const gsm = measure(substituted, 'gsm7');
  return gsm.segments <= ucs2.segments ? gsm : ucs2;
}

/**
 * The per-part texts. One part when the whole text fits a single SMS (including the empty text);
 * otherwise parts of at most 153 septets / 67 code units (152 / 66 with `udh16`), never splitting a
 * surrogate pair or an extension character's escape from its code.
 */
export function split(text: string, encoding: SmsEncoding, opts: PartOptions = {}): string[] {
  const chars = Array.from(text);
  const costs = chars.map((ch) => costOf(ch, encoding));
  if (countParts(costs, encoding) === 1) return [text];
  const limit = perPart(encoding, opts.udh16 === true);
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (let i = 0; i < chars.length; i++) {
    const c = costs[i]!;
    if (used + c > limit) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += chars[i];
    used += c;
  }
  parts.push(current);
  return parts;
}

/** Largest n such that chars[0..n) followed by the suffix fits in maxSegments; -1 if even n=0 does not. */
function maxFittingPrefix(
  chars: readonly string[],
  limit: number,
  suffix: string,
  encoding: SmsEncoding,
  maxSegments: number,
): number {
  const costs = chars.map((ch) => costOf(ch, encoding));
  const suffixCosts = Array.from(suffix, (ch) => costOf(ch, encoding));
  const fits = (n: number) => countParts(costs.slice(0, n).concat(suffixCosts), encoding) <= maxSegments;
  if (!fits(0)) return -1;
  let lo = 0; // fits
  let hi = limit; // candidate upper bound
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Moves a cut back to a word boundary when one is close; otherwise keeps the code-point cut. */
function wordCut(chars: readonly string[], n: number): number {
  const isSpace = (ch: string | undefined) => ch !== undefined && /\s/u.test(ch);
  if (n >= chars.length || isSpace(chars[n])) return n;
  for (let i = n - 1; i >= Math.max(1, n - WORD_LOOKBACK); i--) {
    if (isSpace(chars[i])) return i;
  }
  return n;
}

function truncateWith(text: string, maxSegments: number, suffix: string, opts: SubstitutionOptions) {
  const sub = (s: string) => (opts.smartSubstitution ? smartSubstitute(s) : s);
  // Candidate 1: GSM-7, which holds more per part, but only up to the first non-GSM character.
  let best: { chars: string[]; n: number; suffix: string } | null = null;
  const gsmSuffix = sub(suffix);
  if (isGsm7(gsmSuffix)) {
    const chars = Array.from(sub(text));
    let limit = chars.findIndex((ch) => gsm7CostOf(ch.codePointAt(0)!) === 0);
    if (limit < 0) limit = chars.length;
    const n = maxFittingPrefix(chars, limit, gsmSuffix, 'gsm7', maxSegments);
    if (n >= 0) best = { chars, n, suffix: gsmSuffix };
  }
  // Candidate 2: UCS-2 over the original text; kept when it shows more of the message.
  const chars = Array.from(text);
  const n = maxFittingPrefix(chars, chars.length, suffix, 'ucs2', maxSegments);
  if (n >= 0 && (best === null || n > best.n)) best = { chars, n, suffix };
  if (best === null) return null;
  const prefix = best.chars.slice(0, wordCut(best.chars, best.n)).join('').trimEnd();
  return analyze(prefix + best.suffix, opts).text;
}

/**
 * Cuts `text` so that text + suffix fits in maxSegments, in whichever encoding the result needs.
 * Cuts at a code-point boundary, backing up to a space within the last ~10 characters. If the suffix
 * alone cannot fit, the text is cut without it. The returned text is what to send (substituted when
 * smart substitution made it GSM-7).
 */
export function truncateToSegments(
  text: string,
  maxSegments: number,
  suffix: string,
  opts: SubstitutionOptions = {},
): { text: string; truncated: boolean } {
  if (!Number.isInteger(maxSegments) || maxSegments < 1) {
    throw new RangeError(`maxSegments must be a positive integer, got ${maxSegments}`);
  }
  const whole = analyze(text, opts);
  if (whole.segments <= maxSegments) return { text: whole.text, truncated: false };
  const cut = truncateWith(text, maxSegments, suffix, opts) ?? truncateWith(text, maxSegments, '', opts);
  // With an empty suffix the empty prefix always fits, so the fallback cannot be null.
  return { text: cut ?? '', truncated: true };
}

/** UTF-16 big-endian code units; lone surrogates are carried as they are. */
function encodeUcs2(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}

function decodeUcs2(buf: Uint8Array): string {
  const units: number[] = [];
  for (let i = 0; i + 1 < buf.length; i += 2) units.push((buf[i]! << 8) | buf[i + 1]!);
  // A dangling odd octet is not a code unit; show that something was lost instead of dropping it.
  if (buf.length % 2 === 1) units.push(0xfffd);
  let out = '';
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.slice(i, i + 4096));
  return out;
}

/** The body octets of one part: unpacked GSM-7 septets or UCS-2 big-endian. */
export function encodeText(text: string, encoding: SmsEncoding): Buffer {
  return encoding === 'gsm7' ? encodeGsm7Unpacked(text) : encodeUcs2(text);
}

/** Inverse of encodeText for a part body (after parseUdh); never throws. */
export function decodeText(body: Uint8Array, encoding: SmsEncoding): string {
  return encoding === 'gsm7' ? decodeGsm7Unpacked(body) : decodeUcs2(body);
}

function concatUdh(ref: number, total: number, seq: number, udh16: boolean): Buffer {
  if (udh16) return Buffer.from([0x06, 0x08, 0x04, (ref >> 8) & 0xff, ref & 0xff, total, seq]);
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);
}

/**
 * short_message payloads for SMPP. A single part has no UDH; multiple parts each start with a
 * concatenation UDH (callers then set esm_class 0x40). `ref` is masked to 8 or 16 bits. Throws a
 * RangeError past 255 parts, which the UDH cannot number.
 */
export function encodeParts(
  text: string,
  encoding: SmsEncoding,
  ref: number,
  opts: PartOptions = {},
): Buffer[] {
  const udh16 = opts.udh16 === true;
  const bodies = split(text, encoding, { udh16 }).map((part) => encodeText(part, encoding));
  if (bodies.length === 1) return bodies;
  if (bodies.length > MAX_PARTS) {
    throw new RangeError(`message needs ${bodies.length} parts; at most ${MAX_PARTS} can be concatenated`);
  }
  return bodies.map((body, i) => Buffer.concat([concatUdh(ref, bodies.length, i + 1, udh16), body]));
}
