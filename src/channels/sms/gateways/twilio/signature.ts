// Twilio's webhook signatures, as its own library (twilio-node's webhooks.validateRequest) checks them.
// X-Twilio-Signature is an HMAC, base64, over the full URL followed by every POST parameter as
// name+value, names sorted. Two schemes:
//  - the classic one: HMAC-SHA1 keyed with the account's auth token;
//  - SharedKey webhooks: the request carries X-Twilio-Webhooks-Signature-Settings
//    (`key=<SharedKey id>,algorithm=HMAC_SHA256`), and the HMAC (SHA-256, or SHA-1 if it says so) is
//    keyed with that SharedKey's secret, not the auth token.
// A JSON body is signed over the URL alone, which then carries bodySHA256 (hex SHA-256 of the body).
// Like the library, the URL is tried as received and with its default port added or removed.
import crypto from 'node:crypto';

/** Decoded form parameters; a repeated name arrives as an array. */
export type TwilioParams = Record<string, string | string[]>;

export type TwilioAlgorithm = 'HMAC_SHA1' | 'HMAC_SHA256';

export const SETTINGS_HEADER = 'x-twilio-webhooks-signature-settings';

export function twilioSignature(
  url: string,
  params: TwilioParams,
  key: string,
  algorithm: TwilioAlgorithm = 'HMAC_SHA1',
): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const v = params[name]!;
    // Repeated names: each distinct value, sorted, as the Twilio SDKs do.
    const values = Array.isArray(v) ? [...new Set(v)].sort() : [v];
    for (const value of values) data += name + value;
  }
  const hash = algorithm === 'HMAC_SHA256' ? 'sha256' : 'sha1';
  return crypto.createHmac(hash, key).update(data, 'utf8').digest('base64');
}

/**
 * The algorithm named by the settings header: undefined when there is no header (the classic scheme),
 * null when it names one Twilio's library does not support either (the request is then refused).
 */
export function signatureAlgorithm(
  header: string | string[] | undefined,
): TwilioAlgorithm | null | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  let algorithm = 'HMAC_SHA1';
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at !== -1 && part.slice(0, at).trim() === 'algorithm' && part.slice(at + 1).trim())
      algorithm = part
        .slice(at + 1)
        .trim()
        .toUpperCase();
  }
  return algorithm === 'HMAC_SHA1' || algorithm === 'HMAC_SHA256' ? algorithm : null;
}

/** The URL as received, and with the scheme's default port added or removed (as Twilio's library tries). */
function urlVariants(url: string): string[] {
  const m = /^(https?:\/\/)([^/?#@]*@)?(\[[^\]]*\]|[^/?#:]*)(:\d+)?(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, user = '', host, port, rest] = m;
  const dflt = scheme!.toLowerCase() === 'https://' ? ':443' : ':80';
  const without = `${scheme}${user}${host}${rest}`;
  const withPort = `${scheme}${user}${host}${dflt}${rest}`;
  if (port && port !== dflt) return [url];
  return [...new Set([url, without, withPort])];
}

/** Constant-time check of a received signature header against every URL variant. */
export function verifyTwilioSignature(
  url: string,
  params: TwilioParams,
  key: string,
  header: string | string[] | undefined,
  algorithm: TwilioAlgorithm = 'HMAC_SHA1',
): boolean {
  if (typeof header !== 'string' || header.length === 0) return false;
  const got = Buffer.from(header);
  let ok = false;
  for (const u of urlVariants(url)) {
    const want = Buffer.from(twilioSignature(u, params, key, algorithm));
    // The expected length is public (28 or 44 base64 characters), so checking it first leaks nothing.
    if (got.length === want.length && crypto.timingSafeEqual(got, want)) ok = true;
  }
  return ok;
}

/** For a JSON body: whether the URL's bodySHA256 is the hex SHA-256 of the raw body. */
export function verifyBodyHash(url: string, rawBody: string): boolean {
  const q = url.indexOf('?');
  const given = q === -1 ? null : new URLSearchParams(url.slice(q + 1)).get('bodySHA256');
  if (!given) return false;
  const want = Buffer.from(crypto.createHash('sha256').update(rawBody, 'utf8').digest('hex'));
  const got = Buffer.from(given.toLowerCase());
  return got.length === want.length && crypto.timingSafeEqual(got, want);
}

/** Form parameters from a parsed body; undefined when the body is not flat name=value pairs. */
export function formParams(body: unknown): TwilioParams | undefined {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) return undefined;
  // No prototype: a parameter named __proto__ must stay a parameter.
  const out: TwilioParams = Object.create(null);
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v;
    else return undefined;
  }
  return out;
}
