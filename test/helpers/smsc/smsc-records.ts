// What the test SMSC saw: every bind and submit_sm as it arrived, and the accepted parts reassembled
// into logical texts the way a handset would show them (a resent text counts again).
import type { BindRecord, ReceivedText, SubmitRecord } from './protocol.ts';

interface OpenSet {
  from: string;
  to: string;
  total: number;
  parts: Map<number, { text: string; id: string }>;
}

export class Records {
  binds: BindRecord[] = [];
  submits: SubmitRecord[] = [];
  received: ReceivedText[] = [];
  deliverResponses: Record<string, number> = {};
  #open = new Map<string, OpenSet>();

  reset(): void {
    this.binds = [];
    this.submits = [];
    this.received = [];
    this.deliverResponses = {};
    this.#open.clear();
  }

  /** Records a submit_sm; accepted parts also go into reassembly. */
  submit(r: SubmitRecord): void {
    this.submits.push(r);
    if (r.status !== 0 || r.messageId === null) return;
    if (!r.udh || r.udh.total <= 1) {
      this.received.push({ from: r.source, to: r.dest, text: r.text, parts: 1, messageIds: [r.messageId] });
      return;
    }
    const key = JSON.stringify([r.source, r.dest, r.udh.ref, r.udh.total]);
    let set = this.#open.get(key);
    // A part already held means a new text reusing the reference (or a resend): start over.
    if (set?.parts.has(r.udh.seq)) set = undefined;
    if (!set) {
      set = { from: r.source, to: r.dest, total: r.udh.total, parts: new Map() };
      this.#open.set(key, set);
    }
    set.parts.set(r.udh.seq, { text: r.text, id: r.messageId });
    if (set.parts.size < set.total) return;
    this.#open.delete(key);
    const ordered = [...set.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
    this.received.push({
      from: set.from,
      to: set.to,
      text: ordered.map((p) => p.text).join(''),
      parts: set.total,
      messageIds: ordered.map((p) => p.id),
    });
  }

  /** Sets still missing parts. */
  get incomplete(): number {
    return this.#open.size;
  }
}
