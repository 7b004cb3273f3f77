// When a queued text must not go any more, and the reason each engine writes on it: shared by both
// store engines so that a cancelled text says the same thing whichever database holds it. Pure.

/** The `error` written on a text cancelled before it reached the gateway, per cause. */
export const CANCEL_REASON = {
  acked: 'acked live before the SMS left',
  fetched: 'fetched from the inbox before the SMS left',
  shown: 'shown in the inbox before it left',
  takenBack: 'sent live to the client that came back before the SMS left',
  removed: 'no longer a member',
  optedOut: 'number opted out (STOP)',
  gone: 'no longer pending',
} as const;

/** A text as the queue sees it when deciding whether it may still go. */
export interface TextFacts {
  kind: string;
  /** The recipient's users.sms_opted_out (null: no user row for the number). */
  optedOut: number | null;
  ignoreOptOut: number;
  /** The recipient's membership state in the text's group (null: none, or not a group text). */
  memberState: string | null;
  /** The text's lease (outbound_sms.lease_until). */
  leaseUntil: number | null;
}

/** Opt-out is checked when a text is claimed, not when it was queued: a STOP in between wins. */
export function blockedByOptOut(t: Pick<TextFacts, 'optedOut' | 'ignoreOptOut'>): boolean {
  return t.optedOut === 1 && t.ignoreOptOut !== 1;
}

/**
 * Just before a claimed text goes: why it must not (undefined: it goes). A text no longer in
 * `submitting` (undefined facts) is not ours to send.
 */
export function recheckVerdict(t: TextFacts | undefined): string | undefined {
  if (!t) return CANCEL_REASON.gone;
  if (t.kind === 'group_message' && t.memberState !== 'active') return CANCEL_REASON.removed;
  if (blockedByOptOut(t)) return CANCEL_REASON.optedOut;
  return undefined;
}
