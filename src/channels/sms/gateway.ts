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

// What a gateway hands upwards is the core's port (core/ports/gateway-hooks.ts); named here too for
// the gateways that implement this interface.
export type { GatewayHooks, InboundText, Receipt } from '../../core/ports/gateway-hooks.ts';

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
