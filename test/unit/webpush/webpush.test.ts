// Tests VAPID key persistence (in the store) and WebPushSender against a local HTTPS push service.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import webpush from 'web-push';
import { loadVapidKeys } from '../../../src/channels/webpush/vapid-keys.ts';
import {
  MAX_PAYLOAD_BYTES,
  type PushTarget,
  pushTopic,
  WebPushSender,
} from '../../../src/channels/webpush/webpush-sender.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { type PushService, startPushService } from '../../helpers/push-service.ts';

const SUBJECT = 'mailto:ops@qun.example';

describe('loadVapidKeys', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qun-vapid-'));
    store = await openSqliteStore(join(dir, 'qun.db'), { gateway: 'sim' });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('creates keys once, in the store, and returns the same keys afterwards', async () => {
    const first = await loadVapidKeys(store.maintenance, dir, SUBJECT, 1);
    assert.equal(Buffer.from(first.publicKey, 'base64url').length, 65);
    assert.equal(first.subject, SUBJECT);
    const second = await loadVapidKeys(store.maintenance, dir, 'https://qun.example/contact', 2);
    assert.equal(second.publicKey, first.publicKey);
    assert.equal(second.privateKey, first.privateKey);
    assert.equal(second.subject, 'https://qun.example/contact');
    assert.deepEqual(
      (await readdir(dir)).filter((f) => !f.startsWith('qun.db')),
      [],
      'no key file is written',
    );
  });

  test('a key pair kept in vapid.json by an earlier release moves into the store', async () => {
    const d = await mkdtemp(join(tmpdir(), 'qun-vapid-old-'));
    const s = await openSqliteStore(join(d, 'qun.db'), { gateway: 'sim' });
    try {
      const old = webpush.generateVAPIDKeys();
      await writeFile(join(d, 'vapid.json'), JSON.stringify(old));
      const keys = await loadVapidKeys(s.maintenance, d, SUBJECT, 1);
      assert.equal(keys.publicKey, old.publicKey);
      assert.equal(keys.migratedFromFile, true);
      await rm(join(d, 'vapid.json'));
      assert.equal((await loadVapidKeys(s.maintenance, d, SUBJECT, 2)).publicKey, old.publicKey);
      // A different file later (another node's data dir) does not replace the stored pair.
      await writeFile(join(d, 'vapid.json'), JSON.stringify(webpush.generateVAPIDKeys()));
      const again = await loadVapidKeys(s.maintenance, d, SUBJECT, 3);
      assert.equal(again.publicKey, old.publicKey);
      assert.equal(again.fileDiffers, true);
    } finally {
      await s.close();
      await rm(d, { recursive: true, force: true });
    }
  });

  test('a corrupt file is an error naming the file, never a silent regeneration', async () => {
    const cdir = await mkdtemp(join(tmpdir(), 'qun-vapid-bad-'));
    const s = await openSqliteStore(join(cdir, 'qun.db'), { gateway: 'sim' });
    const file = join(cdir, 'vapid.json');
    const other = webpush.generateVAPIDKeys();
    const mine = webpush.generateVAPIDKeys();
    const cases = [
      '{"publicKey": "abc',
      '[]',
      '{"publicKey": 1, "privateKey": 2}',
      JSON.stringify({ publicKey: 'AAAA', privateKey: mine.privateKey }),
      JSON.stringify({ publicKey: other.publicKey, privateKey: mine.privateKey }),
    ];
    for (const content of cases) {
      await writeFile(file, content);
      await assert.rejects(
        loadVapidKeys(s.maintenance, cdir, SUBJECT, 1),
        (err: Error) => err.message.includes(file) && /corrupt/.test(err.message),
        content,
      );
    }
    await s.close();
    await rm(cdir, { recursive: true, force: true });
  });

  test('subject must be a mailto: or https: URL', async () => {
    for (const bad of ['ops@qun.example', 'http://qun.example', 'mailto:', '']) {
      await assert.rejects(loadVapidKeys(store.maintenance, dir, bad, 1), /mailto: or https:/, bad);
    }
  });
});

describe('WebPushSender', () => {
  let svc: PushService;
  let sender: WebPushSender;
  const keys = { ...webpush.generateVAPIDKeys(), subject: SUBJECT };
  const opts = { ttlSeconds: 60 };

  before(async () => {
    svc = await startPushService();
    sender = new WebPushSender(keys, { agent: svc.agent, timeoutMs: 5000 });
  });
  after(async () => {
    await svc.close();
  });

  test('delivers a payload that decrypts to the exact JSON, signed with our VAPID key', async () => {
    const sub = svc.newSubscription();
    const payload = { title: 'Hiking club', body: '3 new messages in Hiking club', n: 3, emoji: '🥾' };
    const res = await sender.send(sub.target, payload, opts);
    assert.deepEqual(res, { outcome: 'sent', status: 201 });
    const got = svc.received.find((r) => r.endpoint === sub.target.endpoint);
    assert.ok(got);
    assert.equal(sub.decrypt(got.body), JSON.stringify(payload));
    assert.equal(got.headers['content-encoding'], 'aes128gcm');
    assert.equal(got.vapid?.publicKey, keys.publicKey);
    assert.equal(got.vapid?.claims['sub'], SUBJECT);
  });

  test('TTL, Topic and Urgency headers arrive as set', async () => {
    const sub = svc.newSubscription();
    await sender.send(
      sub.target,
      { n: 1 },
      { ttlSeconds: 3600, topic: 'group:42 Hiking club', urgency: 'high' },
    );
    const got = svc.received.find((r) => r.endpoint === sub.target.endpoint);
    assert.equal(got?.headers['ttl'], '3600');
    assert.equal(got?.headers['topic'], pushTopic('group:42 Hiking club'));
    assert.equal(got?.headers['urgency'], 'high');
  });

  test('maps push-service statuses to outcomes', async () => {
    const expectations: Array<[number, string]> = [
      [404, 'gone'],
      [410, 'gone'],
      [500, 'retry'],
      [503, 'retry'],
      [429, 'retry'],
      [400, 'rejected'],
      [403, 'rejected'],
      [413, 'rejected'],
    ];
    for (const [status, outcome] of expectations) {
      const sub = svc.newSubscription();
      svc.respondWith(sub.target.endpoint, status);
      const res = await sender.send(sub.target, { n: 1 }, opts);
      assert.equal(res.outcome, outcome, `HTTP ${status}`);
      assert.equal(res.status, status);
      if (res.outcome === 'rejected' || res.outcome === 'retry')
        assert.match(res.reason, new RegExp(`${status}`));
    }
  });

  test('429 passes Retry-After through', async () => {
    const sub = svc.newSubscription();
    svc.respondWith(sub.target.endpoint, 429, { 'Retry-After': '7' });
    const res = await sender.send(sub.target, { n: 1 }, opts);
    assert.deepEqual(
      { ...res, reason: undefined },
      { outcome: 'retry', status: 429, retryAfterSeconds: 7, reason: undefined },
    );
  });

  test('an unreachable endpoint is retry', async () => {
    const port = await closedPort();
    const sub = svc.newSubscription();
    const target: PushTarget = { ...sub.target, endpoint: `https://127.0.0.1:${port}/push/x` };
    const res = await sender.send(target, { n: 1 }, opts);
    assert.equal(res.outcome, 'retry');
    assert.match(res.outcome === 'retry' ? res.reason : '', /ECONNREFUSED/);
  });

  test('a push service that never answers times out as retry', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const quick = new WebPushSender(keys, { agent: svc.agent, timeoutMs: 200 });
    const target: PushTarget = {
      ...svc.newSubscription().target,
      endpoint: `https://127.0.0.1:${port}/push/x`,
    };
    const res = await quick.send(target, { n: 1 }, opts);
    assert.equal(res.outcome, 'retry');
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  test('oversize payload is rejected without a request; the exact limit still goes through', async () => {
    const sub = svc.newSubscription();
    const before = svc.received.length;
    const big = await sender.send(sub.target, { text: 'x'.repeat(MAX_PAYLOAD_BYTES) }, opts);
    assert.equal(big.outcome, 'rejected');
    assert.equal(big.status, 413);
    assert.equal(svc.received.length, before);
    // '"' + x…x + '"' is exactly the limit; the service refuses bodies over 4096 bytes like real ones.
    const exact = await sender.send(sub.target, 'x'.repeat(MAX_PAYLOAD_BYTES - 2), opts);
    assert.deepEqual(exact, { outcome: 'sent', status: 201 });
    assert.ok((svc.received.at(-1)?.body.length ?? 0) <= 4096);
  });

  test('a malformed subscription or payload is rejected without a request', async () => {
    const { target } = svc.newSubscription();
    const before = svc.received.length;
    const notOnCurve = Buffer.alloc(65, 1);
    notOnCurve[0] = 4;
    const bad: PushTarget[] = [
      { ...target, endpoint: 'not a url' },
      { ...target, endpoint: target.endpoint.replace('https:', 'http:') },
      { ...target, keys: { ...target.keys, p256dh: 'AAAA' } },
      { ...target, keys: { ...target.keys, p256dh: notOnCurve.toString('base64url') } },
      { ...target, keys: { ...target.keys, auth: 'AAAA' } },
    ];
    for (const t of bad) {
      const res = await sender.send(t, { n: 1 }, opts);
      assert.equal(res.outcome, 'rejected', JSON.stringify(t));
    }
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.equal((await sender.send(target, cyclic, opts)).outcome, 'rejected');
    assert.equal((await sender.send(target, undefined, opts)).outcome, 'rejected');
    assert.equal(svc.received.length, before);
  });

  test('bad VAPID keys fail at construction', () => {
    assert.throws(() => new WebPushSender({ ...keys, privateKey: 'short' }));
  });
});

describe('pushTopic', () => {
  test('always yields at most 32 URL-safe base64 characters, deterministically', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 200 })), (s) => {
        const t = pushTopic(s);
        assert.match(t, /^[A-Za-z0-9_-]{1,32}$/);
        assert.equal(pushTopic(s), t);
      }),
      { numRuns: 300 },
    );
  });
});

/** A port on 127.0.0.1 that nothing listens on: bind, learn the port, release it. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
