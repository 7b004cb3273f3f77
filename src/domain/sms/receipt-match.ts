// Which text a delivery receipt belongs to: one rule for every store engine. SMSCs reuse message ids (a
// restarted SMSC counts from 0 again), so a gateway reference alone does not name a text: the receipt is
// matched within the link session it arrived on, else to the newest text with that reference, and a
// text whose story has ended (delivered, failed, cancelled) is never given another ending.

/** An outbound text's state (the store uses this type; `digested`: a held text carried by a digest). */
export type OutboundState =
  | 'queued'
  | 'submitting'
  | 'submitted'
  | 'delivered'
  | 'failed'
  | 'cancelled'
  | 'digested';

export interface ReceiptCandidate {
  id: number;
  state: OutboundState;
  gatewaySession: string | null;
}

export type ReceiptVerdict =
  /** Settle this text. `how` says why it was chosen: same link session, or newest with the ref. */
  | { kind: 'apply'; id: number; how: 'session' | 'newest' }
  /**
   * No text for it (yet): its submit response may still be on the way. The caller holds the receipt
   * and records it as unmatched once the hold expires.
   */
  | { kind: 'wait' }
  /** The text already has this same outcome (a repeated receipt). */
  | { kind: 'duplicate'; id: number }
  /** The text already ended otherwise; the receipt is recorded and changes nothing. */
  | { kind: 'conflict'; id: number; state: OutboundState }
  /** Several texts could be meant and the newest has ended: choosing another would be a guess. */
  | { kind: 'ambiguous'; ids: number[] };

/**
 * `candidates` newest first (as the store returns them). `session` is the link session the receipt came
 * on (null for gateways whose refs are unique, such as Kannel's own ids and Twilio's SIDs). `settled`:
 * the receipt has waited long enough for its own session's submit, so texts from earlier sessions (a
 * receipt redelivered after a reconnect) may now be considered.
 */
export function matchReceipt(
  candidates: readonly ReceiptCandidate[],
  r: { session: string | null; delivered: boolean },
  settled: boolean,
): ReceiptVerdict {
  const inSession = r.session === null ? [] : candidates.filter((c) => c.gatewaySession === r.session);
  let target: ReceiptCandidate | undefined;
  let how: 'session' | 'newest' = 'session';
  if (inSession.length > 0) target = inSession[0];
  else if (r.session !== null && !settled) return { kind: 'wait' };
  else {
    target = candidates[0];
    how = 'newest';
    if (!target) return { kind: 'wait' };
    // The newest text with this id has ended, but an older one is still open: which one the SMSC means
    // cannot be known, so neither is touched.
    const open = candidates.filter((c) => c.state === 'submitted');
    if (target.state !== 'submitted' && open.length > 0 && r.session !== null)
      return { kind: 'ambiguous', ids: candidates.map((c) => c.id) };
  }
  if (!target) return { kind: 'wait' };
  if (target.state === 'submitted') return { kind: 'apply', id: target.id, how };
  const same = (target.state === 'delivered') === r.delivered && target.state !== 'cancelled';
  return same
    ? { kind: 'duplicate', id: target.id }
    : { kind: 'conflict', id: target.id, state: target.state };
}

/**
 * Text from a gateway, cleaned for storing as a reason: UDH and other control bytes (Kannel's %A copies
 * the SMSC's answer, binary and all) are dropped, line breaks and runs of space become one space, and the length is capped.
 */
export function cleanReason(s: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const controls = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/g;
  const out = s.replace(controls, '').replace(/\s+/g, ' ').trim();
  return [...out].slice(0, max).join('');
}
