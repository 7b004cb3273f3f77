// The SMS gateway interface: one implementation per folder under gateways/. The queue above it
// (sms-sender.ts) owns durability, retries, opt-out and rate limits; a gateway only talks to its peer.
import type { FastifyPluginAsync } from 'fastify';
import type { SmsEncoding } from '../../domain/sms/segments.ts';
import type { OutboundSms } from '../../store/store.ts';

/** A text ready to go: substituted and analysed once, so every gateway bills the same segments. */
export interface PreparedText {
  text: string;
  encoding: SmsEncoding;
  segments: number;
}

export type SubmitResult =
  /** session: the link session (an SMPP bind) the text went through, for gateways whose ids repeat. */
  | { outcome: 'submitted'; ref: string | null; session?: string }
  /**
   * unknownOutcome: no answer came (timeout, lost link), so the peer may have the text; the resend may
   * duplicate it, and the queue counts it in qun_sms_in_doubt_total so that duplicates are never silent.
   */
  | { outcome: 'retry'; reason: string; afterMs: number; unknownOutcome?: boolean }
  | { outcome: 'failed'; reason: string; optedOut?: boolean };

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

export interface SmsGateway {
  readonly name: string;
  /** Webhook routes of this gateway (Kannel get-url, Twilio callbacks), registered on Qun's HTTP server. */
  readonly httpRoutes?: FastifyPluginAsync;
  /** How many submits may be in flight at once (SMPP window); the queue honours it. Default 10. */
  readonly window?: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Hands one logical text to the peer (the gateway splits it into segments). Never throws for a peer
   * answer: refusals are `failed` with the reason, transient trouble is `retry`.
   */
  submit(o: OutboundSms, t: PreparedText): Promise<SubmitResult>;
  /** Whether a number can be reached at all through this gateway (e.g. only mobile numbers). */
  reachable(phone: string): boolean;
  /**
   * For a text left `submitting` by a crash: whether the peer has it. 'unknown' makes the queue resend
   * it and count a possible duplicate.
   */
  reconcile(o: OutboundSms): Promise<'sent' | 'not_sent' | 'unknown'>;
}
