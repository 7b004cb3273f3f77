// Loads the server's VAPID key pair (RFC 8292) from the data dir, creating it once on first start.
import { createECDH, randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import webpush from 'web-push';

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

export const VAPID_FILE_NAME = 'vapid.json';

/**
 * Returns the persisted VAPID keys, generating and saving them if the file does not exist.
 * A file that exists but cannot be used is an error, never a reason to regenerate: every browser
 * subscription is bound to the public key, so a new key silently orphans all of them.
 */
export function loadOrCreateVapidKeys(dataDir: string, subject: string): VapidKeys {
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
  if (text !== undefined) return { ...parseKeyFile(file, text), subject };

  const keys = webpush.generateVAPIDKeys();
  const content = JSON.stringify(
    { publicKey: keys.publicKey, privateKey: keys.privateKey, createdAt: new Date().toISOString() },
    null,
    2,
  );
  mkdirSync(dataDir, { recursive: true });
  writeFileAtomic(file, `${content}\n`);
  return { publicKey: keys.publicKey, privateKey: keys.privateKey, subject };
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

function parseKeyFile(file: string, text: string): { publicKey: string; privateKey: string } {
  const corrupt = (why: string): Error =>
    new Error(
      `VAPID key file ${file} is corrupt (${why}). Restore it from a backup; deleting it makes the server ` +
        'generate new keys, which invalidates every existing browser push subscription.',
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

/** Write to a private temp file, fsync, then rename so a crash never leaves a half-written key file. */
function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    // The open mode is filtered by the umask; force owner-only explicitly since this is a private key.
    fchmodSync(fd, 0o600);
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dirname(file));
}

/** Persist the rename itself; best effort because some platforms cannot open directories. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Durability of the directory entry is a nicety; the key file itself is already synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
