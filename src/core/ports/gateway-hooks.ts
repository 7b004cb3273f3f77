// What an SMS gateway hands upwards to the core: inbound texts, delivery receipts, opt-outs. The core
// owns this port (core/sms-receipts.ts and the inbound handler implement it); every gateway calls it.

export interface InboundText {
  from: string;
  to: string;
  text: string;
  /** The gateway's id for the text, for de-duplication of redelivered texts. */
  ref: string | null;
  /**
   * How many media items (MMS pictures) came with it. Qun carries text only: the core tells the sender
   * (see docs/gateways.md, MMS). Absent or 0 for plain texts.
   */
  media?: number;
}

/** A delivery receipt as a gateway reports it. */
export interface Receipt {
  /** The id the peer gave the text when it accepted it (matched case- and leading-zero-insensitively). */
  ref: string;
  delivered: boolean;
  /** The peer's words: a stat code, an error code, a reason. */
  detail: string;
  /**
   * The link session the receipt arrived on (an SMPP bind). Refs repeat across sessions (a restarted SMSC
   * numbers from 0 again), so a receipt is matched within its session first. Absent: refs are unique.
   */
  session?: string;
  /**
   * The gateway itself saw this id handed out in `session` (the submit response came on this bind):
   * only a text of that session can be meant, however long its submit takes to be recorded.
   */
  submittedHere?: boolean;
  /**
   * An intermediate notice (buffered, accepted by the SMSC): the text's state stays as it is and the
   * notice is recorded in its trail. `delivered` is then false and means nothing.
   */
  progress?: boolean;
}

/** What a gateway hands upwards. Each resolves once the effect is durable, so the gateway may then ack its peer. */
export interface GatewayHooks {
  /** A mobile-originated text (reassembled if it came in parts). Rejects if it could not be stored. */
  inbound(t: InboundText): Promise<void>;
  /** A delivery receipt; receipts that arrive before their submit response are held and matched later. */
  receipt(r: Receipt): Promise<void>;
  /** The provider reports the number opted out (e.g. Twilio error 21610). */
  optedOut(phone: string): Promise<void>;
}
