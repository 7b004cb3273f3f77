// Who may call the Kannel webhooks: the smsbox host (address allow-list) holding the shared secret.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type BlockList, isIP } from 'node:net';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time comparison: hashing first gives equal lengths, so nothing leaks through timing. */
export function secretMatches(given: string | undefined, secret: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(secret));
}

/** The password of an HTTP basic Authorization header (smsbox sends one for http://user:pass@host/ URLs). */
export function basicPassword(header: string | undefined): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** Whether a peer address is on the list; IPv4 peers of a dual-stack socket arrive as ::ffff:a.b.c.d. */
export function addressAllowed(list: BlockList, ip: string): boolean {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const addr = v4 ?? ip;
  const family = isIP(addr);
  if (family === 0) return false;
  return list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}
