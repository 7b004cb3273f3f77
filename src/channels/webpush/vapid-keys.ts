// The server's VAPID key pair (RFC 8292), kept in the store so that every node of a cluster answers the
// same public key and can sign pushes to any subscription. A key pair kept by an earlier release in the
// data dir (vapid.json) is moved into the store on first start, so existing subscriptions keep working.
import { createECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

export const VAPID_FILE_NAME = 'vapid.json';
/** The row in the store's server_keys table. */
export const VAPID_KEY_NAME = 'vapid';

/** What the store offers for this: one value per name, the first stored wins (MaintenanceStore.keyOrPut). */
export interface KeyHolder {
  keyOrPut(name: string, value: string, now: number): Promise<string>;
}

/**
 * The cluster's key pair: the one in the store; on the first start, the data dir's vapid.json if there
 * is one, else a new pair. Two nodes starting at once on an empty store agree, because only the first
 * insert wins and both read it back. A key file or stored value that cannot be used is an error, never a
 * reason to regenerate: every browser subscription is bound to the public key.
 */
export async function loadVapidKeys(
  store: KeyHolder,
  dataDir: string,
  subject: string,
  now: number,
): Promise<VapidKeys & { migratedFromFile: boolean; fileDiffers: boolean }> {
  assertSubject(subject);
  const file = join(dataDir, VAPID_FILE_NAME);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`Cannot read VAPID key file ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  const fromFile = text === undefined ? undefined : parseKeyFile(`VAPID key file ${file}`, text);
  const candidate = fromFile ?? generateKeyPair();
  const value = JSON.stringify({
    publicKey: candidate.publicKey,
    privateKey: candidate.privateKey,
    createdAt: new Date(now).toISOString(),
  });
  const stored = parseKeyFile(
    'The VAPID key pair in the store (server_keys)',
    await store.keyOrPut(VAPID_KEY_NAME, value, now),
  );
  return {
    ...stored,
    subject,
    migratedFromFile: fromFile !== undefined && fromFile.publicKey === stored.publicKey,
    fileDiffers: fromFile !== undefined && fromFile.publicKey !== stored.publicKey,
  };
}

/**
 * A new P-256 key pair, base64url, as web-push's generateVAPIDKeys makes it (which is not imported for
 * this: web-push is loaded with the first push, not at start). Node drops a private key's leading zero
 * bytes; VAPID wants exactly 32.
 */
function generateKeyPair(): { publicKey: string; privateKey: string } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const priv = ecdh.getPrivateKey();
  return {
    publicKey: ecdh.getPublicKey().toString('base64url'),
    privateKey: Buffer.concat([Buffer.alloc(32 - priv.length), priv]).toString('base64url'),
  };
}

/** Throws unless the keys are a matching P-256 pair and the subject a mailto: or https: URL. */
export function checkVapidKeys(keys: VapidKeys): void {
  assertSubject(keys.subject);
  checkKeyPair(keys.publicKey, keys.privateKey, (why) => new Error(`Invalid VAPID keys: ${why}`));
}

/** RFC 8292 §2.1: the JWT "sub" claim is a mailto: or https: URI the push service can use to reach us. */
function assertSubject(subject: string): void {
  let url: URL;
  try {
    url = new URL(subject);
  } catch {
    throw new Error(`VAPID subject must be a mailto: or https: URL, got ${JSON.stringify(subject)}`);
  }
  const ok =
    (url.protocol === 'mailto:' && url.pathname.length > 0) ||
    (url.protocol === 'https:' && url.hostname !== '');
  if (!ok) throw new Error(`VAPID subject must be a mailto: or https: URL, got ${JSON.stringify(subject)}`);
}

function parseKeyFile(what: string, text: string): { publicKey: string; privateKey: string } {
  const corrupt = (why: string): Error =>
    new Error(
      `${what} is corrupt (${why}). Restore it from a backup; a new key pair would invalidate every ` +
        'existing browser push subscription.',
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw corrupt(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof data !== 'object' || data === null) throw corrupt('not a JSON object');
  const { publicKey, privateKey } = data as Record<string, unknown>;
  if (typeof publicKey !== 'string' || typeof privateKey !== 'string') {
    throw corrupt('publicKey and privateKey must be strings');
  }
  return checkKeyPair(publicKey, privateKey, corrupt);
}

function checkKeyPair(
  publicKey: string,
  privateKey: string,
  corrupt: (why: string) => Error,
): { publicKey: string; privateKey: string } {
  const b64url = /^[A-Za-z0-9_-]+$/;
  const pub = b64url.test(publicKey) ? Buffer.from(publicKey, 'base64url') : Buffer.alloc(0);
  const priv = b64url.test(privateKey) ? Buffer.from(privateKey, 'base64url') : Buffer.alloc(0);
  if (pub.length !== 65 || pub[0] !== 0x04) throw corrupt('publicKey is not an uncompressed P-256 point');
  if (priv.length !== 32) throw corrupt('privateKey is not 32 bytes');
  // A half-edited file could pair keys that do not belong together; pushes would then fail opaquely.
  let derived: Buffer;
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(priv);
    derived = ecdh.getPublicKey();
  } catch {
    throw corrupt('privateKey is not a valid P-256 scalar');
  }
  if (!derived.equals(pub)) throw corrupt('publicKey does not match privateKey');
  return { publicKey, privateKey };
}
