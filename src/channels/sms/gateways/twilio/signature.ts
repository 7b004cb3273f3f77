// Twilio's webhook signature (X-Twilio-Signature): HMAC-SHA1, keyed with the auth token, over the full
// URL followed by every POST parameter as name+value, names sorted; base64.
import crypto from 'node:crypto';

/** Decoded form parameters; a repeated name arrives as an array. */
export type TwilioParams = Record<string, string | string[]>;

export function twilioSignature(url: string, params: TwilioParams, token: string): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const v = params[name]!;
    // Repeated names: each distinct value, sorted, as the Twilio SDKs do.
    const values = Array.isArray(v) ? [...new Set(v)].sort() : [v];
    for (const value of values) data += name + value;
  }
  return crypto.createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

/** Constant-time check of a received signature header. */
export function verifyTwilioSignature(
  url: string,
  params: TwilioParams,
  token: string,
  header: string | string[] | undefined,
): boolean {
  if (typeof header !== 'string' || header.length === 0) return false;
  const want = Buffer.from(twilioSignature(url, params, token));
  const got = Buffer.from(header);
  // The expected length is public (28 base64 characters), so checking it first leaks nothing.
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
