// Delivery receipts: the SMPP 3.4 Appendix B text (`id:… sub:… dlvrd:… submit date:… done date:…
// stat:… err:… text:…`) and the TLVs that carry the same facts, reduced to what Qun records.

export interface ReceiptFields {
  id?: string;
  sub?: string;
  dlvrd?: string;
  submitDate?: string;
  doneDate?: string;
  stat?: string;
  err?: string;
  text?: string;
}

const FIELDS: [keyof ReceiptFields, RegExp][] = [
  ['id', /(?:^|\s)id:(\S+)/i],
  ['sub', /(?:^|\s)sub:(\S+)/i],
  ['dlvrd', /(?:^|\s)dlvrd:(\S+)/i],
  ['submitDate', /(?:^|\s)submit[ _]date:(\d+)/i],
  ['doneDate', /(?:^|\s)done[ _]date:(\d+)/i],
  ['stat', /(?:^|\s)stat:(\S+)/i],
  ['err', /(?:^|\s)err:(\S+)/i],
  ['text', /(?:^|\s)text:(.*)$/is],
];

/** Reads whichever Appendix B fields are present; SMSCs vary in case and in which fields they send. */
export function parseReceiptText(s: string): ReceiptFields {
  const out: ReceiptFields = {};
  for (const [key, re] of FIELDS) {
    const m = re.exec(s);
    if (m?.[1] !== undefined) out[key] = m[1];
  }
  return out;
}

// message_state TLV values (SMPP 3.4 §5.2.28) as the seven-letter stat words of the text.
const STATES: Record<number, string> = {
  1: 'ENROUTE',
  2: 'DELIVRD',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIV',
  6: 'ACCEPTD',
  7: 'UNKNOWN',
  8: 'REJECTD',
};

// Some SMSCs spell the states out in full.
const ALIASES: Record<string, string> = {
  DELIVERED: 'DELIVRD',
  UNDELIVERABLE: 'UNDELIV',
  REJECTED: 'REJECTD',
  ACCEPTED: 'ACCEPTD',
};

// SMPP 3.4 calls ACCEPTED final (read by customer service), but SMSCs commonly send ACCEPTD to mean
// "buffered", as Kannel reads it; failing the text on it would be wrong far more often than right.
const NOT_FINAL = new Set(['ENROUTE', 'ACCEPTD']);

export interface Receipt {
  /** The SMSC's message id, as it wrote it. */
  id: string;
  stat: string;
  delivered: boolean;
  /** False for ENROUTE and ACCEPTD: intermediate notices, not the text's fate. */
  final: boolean;
  /** `stat` plus the error code when there is one. */
  detail: string;
}

/** Combines the TLVs (preferred: typed) with the text; null when no message id can be found. */
export function readReceipt(r: {
  text: string;
  receiptedId?: string;
  messageState?: number;
}): Receipt | null {
  const f = parseReceiptText(r.text);
  const id = (r.receiptedId || f.id || '').trim();
  if (!id) return null;
  const raw = (r.messageState !== undefined ? STATES[r.messageState] : undefined) ?? f.stat ?? 'UNKNOWN';
  const stat = ALIASES[raw.toUpperCase()] ?? raw.toUpperCase();
  const err = f.err && !/^0+$/.test(f.err) ? ` err:${f.err}` : '';
  return { id, stat, delivered: stat === 'DELIVRD', final: !NOT_FINAL.has(stat), detail: stat + err };
}
