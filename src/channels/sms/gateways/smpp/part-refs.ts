// Which text each submitted part belongs to. A text's ref is its last part's message id, but the SMSC
// may send receipts for any part, and before the last part was even accepted; this map lets every
// such receipt find its text and lets a failed part mark the whole text failed.
import { BoundedMap } from './bounded-map.ts';

/** One text's receipt state, shared by all its parts. */
export interface TextReceipts {
  /** The last part's message id; null until that part is accepted. */
  ref: string | null;
  /** The first failure reported for any part. */
  failure: string | null;
  /** The bind session the last part was accepted in. */
  session?: string;
}

export interface PartRef {
  text: TextReceipts;
  last: boolean;
}

/** SMSCs disagree on the case and leading zeros of their own ids; compare them without either. */
export function normaliseId(id: string): string {
  return id
    .trim()
    .toLowerCase()
    .replace(/^0+(?=.)/, '');
}

// Receipts normally come within minutes; 200k parts cover a large backlog in little memory.
const MAX_PARTS = 200_000;

export class PartRefs {
  readonly #parts = new BoundedMap<string, PartRef>(MAX_PARTS);

  begin(): TextReceipts {
    return { ref: null, failure: null };
  }

  /**
   * Records a part accepted in a bind session; the last one gives the text its ref. Ids are kept per
   * session: a restarted SMSC reuses ids, and a receipt must not reach a part of an older text.
   */
  accepted(text: TextReceipts, id: string, last: boolean, session: string): void {
    if (!id) return;
    if (last) {
      text.ref = id;
      text.session = session;
    }
    this.#parts.set(`${session} ${normaliseId(id)}`, { text, last });
  }

  lookup(id: string, session: string): PartRef | undefined {
    return this.#parts.get(`${session} ${normaliseId(id)}`);
  }
}
