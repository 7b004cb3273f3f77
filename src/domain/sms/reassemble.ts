// Inbound concatenated SMS: parses the User Data Header and stitches parts back into one text. Pure:
// no timers, the caller passes the clock in and decides when to expire incomplete sets.

export interface UdhInfo {
  /** Concatenation reference (8- or 16-bit); 0 when the UDH carries no concatenation element. */
  ref: number;
  /** Parts in the message; 1 when the UDH carries no concatenation element. */
  total: number;
  /** 1-based position of this part. */
  seq: number;
  /** The short_message after the UDH. */
  body: Buffer;
}

const IEI_CONCAT_8 = 0x00;
const IEI_CONCAT_16 = 0x08;

/**
 * Reads the UDH at the start of a short_message (esm_class had UDHI set). Understands both the 8-bit
 * (IEI 0x00) and 16-bit (IEI 0x08) concatenation elements and skips any other element by its length.
 * A well-formed UDH without a concatenation element (e.g. port addressing) yields a single part, so the
 * caller still gets the body. Returns null when the header is malformed. Total/seq are passed through
 * unvalidated: that is the Reassembler's job, where bad parts get counted.
 */
export function parseUdh(buf: Uint8Array): UdhInfo | null {
  if (buf.length < 1) return null;
  const udhl = buf[0]!;
  const end = 1 + udhl;
  if (end > buf.length) return null;
  let concat: { ref: number; total: number; seq: number } | null = null;
  let i = 1;
  while (i < end) {
    if (i + 2 > end) return null; // an element needs at least IEI and length
    const iei = buf[i]!;
    const len = buf[i + 1]!;
    const data = i + 2;
    if (data + len > end) return null;
    // TS 23.040: if an element repeats, the last occurrence wins.
    if (iei === IEI_CONCAT_8) {
      if (len !== 3) return null;
      concat = { ref: buf[data]!, total: buf[data + 1]!, seq: buf[data + 2]! };
    } else if (iei === IEI_CONCAT_16) {
      if (len !== 4) return null;
      concat = { ref: (buf[data]! << 8) | buf[data + 1]!, total: buf[data + 2]!, seq: buf[data + 3]! };
    }
    i = data + len;
  }
  const body = Buffer.from(buf.subarray(end));
  return concat ? { ...concat, body } : { ref: 0, total: 1, seq: 1, body };
}

export interface PartIn {
  from: string;
  to: string;
  ref: number;
  total: number;
  seq: number;
  /** The decoded text of this part. */
  text: string;
  /** Arrival time in ms. */
  now: number;
}

export interface ExpiredSet {
  from: string;
  to: string;
  ref: number;
  /** The parts that did arrive, in seq order. */
  partial: string;
  /** Seq numbers that never arrived. */
  missing: number[];
}

interface OpenSet {
  from: string;
  to: string;
  ref: number;
  total: number;
  parts: Map<number, string>;
  firstSeen: number;
}

// A just-completed set, remembered so a retransmitted part (a lost deliver_sm_resp makes the SMSC
// resend) is not mistaken for the start of a new message and later delivered as a stray fragment.
interface Completed {
  total: number;
  parts: Map<number, string>;
  completedAt: number;
}

const MAX_TOTAL = 255;

function keyOf(from: string, to: string, ref: number): string {
  return JSON.stringify([from, to, ref]);
}

function joinInOrder(parts: Map<number, string>): string {
  return [...parts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, text]) => text)
    .join('');
}

/** Collects parts keyed by (from, to, ref) and releases each message once all of its parts are in. */
export class Reassembler {
  /** Parts refused for an invalid total/seq, or for a total that contradicts their open set. */
  rejected = 0;
  /** Parts dropped as repeats of one already held (or of a just-completed set). */
  duplicates = 0;

  readonly #open = new Map<string, OpenSet>();
  readonly #completed = new Map<string, Completed>();

  /** Incomplete sets currently held. */
  get pending(): number {
    return this.#open.size;
  }

  /** Returns the whole text when this part completes its message, otherwise null. */
  add(part: PartIn): string | null {
    const { from, to, ref, total, seq, text, now } = part;
    if (!Number.isInteger(total) || total < 1 || total > MAX_TOTAL || !Number.isInteger(seq)) {
      this.rejected++;
      return null;
    }
    if (seq < 1 || seq > total) {
      this.rejected++;
      return null;
    }
    if (total === 1) return text;
    const key = keyOf(from, to, ref);
    const done = this.#completed.get(key);
    if (done && !this.#open.has(key)) {
      if (done.total === total && done.parts.get(seq) === text) {
        this.duplicates++;
        return null;
      }
      // Anything else is a new message that reuses the reference.
      this.#completed.delete(key);
    }
    let set = this.#open.get(key);
    if (!set) {
      set = { from, to, ref, total, parts: new Map(), firstSeen: now };
      this.#open.set(key, set);
    } else if (set.total !== total) {
      // Cannot belong to this set; keep the set rather than guess which side is wrong.
      this.rejected++;
      return null;
    }
    if (set.parts.has(seq)) {
      this.duplicates++;
      return null;
    }
    set.parts.set(seq, text);
    if (set.parts.size < total) return null;
    this.#open.delete(key);
    this.#completed.set(key, { total, parts: set.parts, completedAt: now });
    return joinInOrder(set.parts);
  }

  /**
   * Drops incomplete sets whose first part arrived more than maxAgeMs ago and returns what they got,
   * so the caller can still deliver a partial message rather than lose it. Also forgets completed
   * sets of the same age (after that, a repeat is treated as new).
   */
  expire(now: number, maxAgeMs: number): ExpiredSet[] {
    const out: ExpiredSet[] = [];
    for (const [key, set] of this.#open) {
      if (now - set.firstSeen <= maxAgeMs) continue;
      this.#open.delete(key);
      const missing: number[] = [];
      for (let seq = 1; seq <= set.total; seq++) if (!set.parts.has(seq)) missing.push(seq);
      out.push({ from: set.from, to: set.to, ref: set.ref, partial: joinInOrder(set.parts), missing });
    }
    for (const [key, done] of this.#completed) {
      if (now - done.completedAt > maxAgeMs) this.#completed.delete(key);
    }
    return out;
  }
}
