// A local HTTPS Web Push service (RFC 8030 receiver side) for tests: records, verifies VAPID, decrypts.
import { execFile } from 'node:child_process';
import { createECDH, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PushTarget } from '../../src/channels/webpush/webpush-sender.ts';

// http_ece ships no types; declare the one call used here.
const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt(body: Buffer, params: { version: 'aes128gcm'; privateKey: unknown; authSecret: string }): Buffer;
};

export interface ReceivedPush {
  endpoint: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Set when the Authorization header carried a valid VAPID JWT (RFC 8292). */
  vapid?: { publicKey: string; claims: Record<string, unknown> };
  /** The status this service answered with. */
  status: number;
}

export interface TestSubscription {
  target: PushTarget;
  decrypt(body: Buffer): string;
}

export interface PushService {
  url: string;
  /** Trusts the service's self-signed certificate; pass to WebPushSender. */
  agent: https.Agent;
  newSubscription(): TestSubscription;
  received: ReceivedPush[];
  /** Force a status for one endpoint, or for all with '*'; a specific endpoint wins over '*'. */
  respondWith(endpointOrAll: string | '*', status: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

/** RFC 8030 §7.2: services need only accept 4096 bytes; refuse more, as real ones do. */
const MAX_BODY_BYTES = 4096;

let certPromise: Promise<{ key: string; cert: string }> | undefined;

/** One self-signed P-256 certificate for 127.0.0.1 per test process, made with the openssl CLI. */
function selfSignedCert(): Promise<{ key: string; cert: string }> {
  certPromise ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qun-push-cert-'));
    try {
      const keyFile = join(dir, 'key.pem');
      const certFile = join(dir, 'cert.pem');
      // -config /dev/null: do not depend on the host's openssl.cnf existing or being sane.
      const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      args.push('-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1');
      args.push('-addext', 'subjectAltName=IP:127.0.0.1', '-config', '/dev/null');
      try {
        await promisify(execFile)('openssl', args);
      } catch (err) {
        throw new Error(
          `test push service needs the openssl CLI to make a certificate: ${(err as Error).message}`,
        );
      }
      return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certPromise;
}

export async function startPushService(): Promise<PushService> {
  const { key, cert } = await selfSignedCert();
  const subscriptions = new Set<string>();
  const overrides = new Map<string, { status: number; headers: Record<string, string> }>();
  const received: ReceivedPush[] = [];
  let origin = '';

  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const endpoint = origin + (req.url ?? '');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      const vapid = verifyVapid(headers['authorization'], origin);
      let status = 201;
      let extra: Record<string, string> = {};
      const forced = overrides.get(endpoint) ?? overrides.get('*');
      if (req.method !== 'POST' || !req.url?.startsWith('/push/')) status = 404;
      else if (!vapid) status = 401;
      else if (body.length > MAX_BODY_BYTES) status = 413;
      else if (forced) ({ status, headers: extra } = forced);
      else if (!subscriptions.has(endpoint)) status = 404;
      const entry: ReceivedPush = { endpoint, headers, body, status };
      if (vapid) entry.vapid = vapid;
      received.push(entry);
      if (status === 201) {
        res.writeHead(201, { Location: `${origin}/message/${randomBytes(8).toString('hex')}`, ...extra });
        res.end();
      } else {
        res.writeHead(status, { 'Content-Type': 'text/plain', ...extra });
        res.end(`test push service answered ${status}`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new https.Agent({ ca: cert, keepAlive: false });

  return {
    url: origin,
    agent,
    received,
    newSubscription() {
      // What a browser's PushManager.subscribe() produces: a P-256 ECDH pair and a 16-byte auth secret.
      const ecdh = createECDH('prime256v1');
      const p256dh = ecdh.generateKeys().toString('base64url');
      const auth = randomBytes(16).toString('base64url');
      const endpoint = `${origin}/push/${randomBytes(12).toString('base64url')}`;
      subscriptions.add(endpoint);
      return {
        target: { endpoint, keys: { p256dh, auth } },
        decrypt: (body) =>
          ece.decrypt(body, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth }).toString('utf8'),
      };
    },
    respondWith(endpointOrAll, status, headers = {}) {
      overrides.set(endpointOrAll, { status, headers });
    },
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Checks `vapid t=<ES256 JWT>, k=<raw P-256 key>`: signature, audience = our origin, exp within 24 h. */
function verifyVapid(
  authorization: string | undefined,
  origin: string,
): { publicKey: string; claims: Record<string, unknown> } | undefined {
  const m = /^vapid t=([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(
    authorization ?? '',
  );
  if (!m) return undefined;
  const [, h, p, s, k] = m as unknown as [string, string, string, string, string];
  try {
    const raw = Buffer.from(k, 'base64url');
    if (raw.length !== 65 || raw[0] !== 0x04) return undefined;
    const jwk = {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    };
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    const signed = Buffer.from(`${h}.${p}`);
    if (!verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url')))
      return undefined;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    const now = Date.now() / 1000;
    if (header['alg'] !== 'ES256' || claims['aud'] !== origin) return undefined;
    if (typeof claims['exp'] !== 'number' || claims['exp'] <= now || claims['exp'] > now + 24 * 3600)
      return undefined;
    if (typeof claims['sub'] !== 'string' || !/^(mailto:|https:)/.test(claims['sub'])) return undefined;
    return { publicKey: k, claims };
  } catch {
    return undefined;
  }
}
