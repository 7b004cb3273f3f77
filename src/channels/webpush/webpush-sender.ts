// Sends one encrypted Web Push message (RFC 8030/8291, VAPID RFC 8292) and classifies the push service's answer.
import { createHash, ECDH } from 'node:crypto';
import type { Agent } from 'node:https';
import type { VapidKeys } from './vapid-keys.ts';
import { checkVapidKeys } from './vapid-keys.ts';

type WebPush = typeof import('web-push');

// web-push (with its ASN.1 and big-number libraries and node:https) is imported with the first push, not
// at start: a server whose members never subscribe does not load it.
let webPush: Promise<WebPush> | undefined;
function loadWebPush(): Promise<WebPush> {
  webPush ??= import('web-push').then((m) => m.default);
  return webPush;
}

export interface PushSubscriptionKeys {
  p256dh: string;
  auth: string;
}

export interface PushTarget {
  endpoint: string;
  keys: PushSubscriptionKeys;
}

/**
 * sent: accepted by the push service. gone: the subscription is dead, delete it.
 * retry: transient (rate limit, server error, network); retryAfterSeconds echoes Retry-After when given.
 * rejected: permanent for this message (bad request, auth, too large); retrying the same message will not help.
 */
export type PushOutcome =
  | { outcome: 'sent'; status: number }
  | { outcome: 'gone'; status: 404 | 410 }
  | { outcome: 'retry'; status?: number; reason: string; retryAfterSeconds?: number }
  | { outcome: 'rejected'; status: number; reason: string };

export interface PushOptions {
  /** How long the push service may hold the message for an offline device (RFC 8030 §5.2). */
  ttlSeconds: number;
  /** Any string; hashed with pushTopic() so newer reminders for the same thing replace older ones. */
  topic?: string;
  urgency?: 'very-low' | 'low' | 'normal' | 'high';
}

export interface WebPushSenderOptions {
  agent?: Agent;
  /** Socket idle timeout per request. */
  timeoutMs?: number;
}

/**
 * Largest JSON payload in bytes. RFC 8030 §7.2 only obliges push services to accept 4096 octets of
 * encrypted body; with aes128gcm's 86-byte header, 16-byte tag and 1-byte padding delimiter that
 * leaves 3993 octets of plaintext (RFC 8291 §4). Anything larger risks a 413 from real services.
 */
export const MAX_PAYLOAD_BYTES = 3993;

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_REASON_CHARS = 200;

/**
 * Maps any string to a valid RFC 8030 Topic: at most 32 characters of the URL-safe base64 alphabet.
 * Hashing (rather than stripping characters) keeps distinct inputs distinct and keeps group ids and
 * names out of a header the third-party push service can read.
 */
export function pushTopic(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('base64url').slice(0, 32);
}

export class WebPushSender {
  readonly #vapid: VapidKeys;
  readonly #agent: Agent | undefined;
  readonly #timeoutMs: number;

  constructor(keys: VapidKeys, opts: WebPushSenderOptions = {}) {
    // Bad keys or subject fail at startup, not on the first reminder.
    checkVapidKeys(keys);
    this.#vapid = { publicKey: keys.publicKey, privateKey: keys.privateKey, subject: keys.subject };
    this.#agent = opts.agent;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Encrypts payload as JSON and posts it. Resolves with an outcome for every push-service answer,
   * network failure and unusable target; it only throws for programming errors in `o`.
   */
  async send(target: PushTarget, payload: unknown, o: PushOptions): Promise<PushOutcome> {
    if (!Number.isSafeInteger(o.ttlSeconds) || o.ttlSeconds < 0) {
      throw new RangeError(`ttlSeconds must be a non-negative integer, got ${o.ttlSeconds}`);
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(payload);
    } catch (err) {
      return {
        outcome: 'rejected',
        status: 400,
        reason: `payload is not serialisable: ${(err as Error).message}`,
      };
    }
    if (json === undefined)
      return { outcome: 'rejected', status: 400, reason: 'payload is not serialisable' };
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_PAYLOAD_BYTES) {
      return {
        outcome: 'rejected',
        status: 413,
        reason: `payload is ${bytes} bytes of JSON, limit is ${MAX_PAYLOAD_BYTES}`,
      };
    }
    const invalid = validateTarget(target);
    if (invalid) return { outcome: 'rejected', status: 400, reason: `invalid subscription: ${invalid}` };

    const webpush = await loadWebPush();
    try {
      const res = await webpush.sendNotification(target, json, {
        vapidDetails: this.#vapid,
        contentEncoding: 'aes128gcm',
        TTL: o.ttlSeconds,
        topic: o.topic === undefined ? undefined : pushTopic(o.topic),
        urgency: o.urgency,
        agent: this.#agent,
        timeout: this.#timeoutMs,
      });
      return { outcome: 'sent', status: res.statusCode };
    } catch (err) {
      return classifyError(webpush, err);
    }
  }
}

/** Catch what would make web-push throw before sending, so it is reported as the subscription's fault. */
function validateTarget(target: PushTarget): string | undefined {
  let url: URL;
  try {
    url = new URL(target.endpoint);
  } catch {
    return 'endpoint is not a URL';
  }
  if (url.protocol !== 'https:') return 'endpoint is not https';
  const b64url = /^[A-Za-z0-9_-]+={0,2}$/;
  const p256dh = target.keys?.p256dh;
  const auth = target.keys?.auth;
  if (typeof p256dh !== 'string' || !b64url.test(p256dh) || Buffer.from(p256dh, 'base64url').length !== 65) {
    return 'keys.p256dh is not a 65-byte base64url P-256 point';
  }
  try {
    // Catches points that are the right length but not on the curve; encryption would throw later.
    ECDH.convertKey(Buffer.from(p256dh, 'base64url'), 'prime256v1');
  } catch {
    return 'keys.p256dh is not a point on P-256';
  }
  if (typeof auth !== 'string' || !b64url.test(auth) || Buffer.from(auth, 'base64url').length < 16) {
    return 'keys.auth is not a base64url secret of at least 16 bytes';
  }
  return undefined;
}

function classifyError(webpush: WebPush, err: unknown): PushOutcome {
  if (err instanceof webpush.WebPushError) {
    const status = err.statusCode;
    const reason = describeResponse(status, err.body);
    if (status === 404 || status === 410) return { outcome: 'gone', status };
    // 408 is the service timing out our request: as transient as a 5xx.
    if (status === 429 || status === 408 || status >= 500) {
      const retryAfterSeconds = parseRetryAfter(err.headers?.['retry-after']);
      return retryAfterSeconds === undefined
        ? { outcome: 'retry', status, reason }
        : { outcome: 'retry', status, reason, retryAfterSeconds };
    }
    return { outcome: 'rejected', status, reason };
  }
  // Anything else came from the socket (refused, reset, TLS, DNS, socket timeout) or encryption.
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code ? `${e.code}: ` : '';
  return { outcome: 'retry', reason: `${code}${e?.message ?? String(err)}` };
}

function describeResponse(status: number, body: string | undefined): string {
  const text = (body ?? '').replace(/\s+/g, ' ').trim();
  if (!text) return `HTTP ${status}`;
  return `HTTP ${status}: ${text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text}`;
}

/** Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
