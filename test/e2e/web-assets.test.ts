// The pages' files over real HTTP: compressed (brotli, gzip), hashed bundles cached for a year, every other
// file revalidated by ETag (a warm reload downloads nothing again), icons, favicon, manifest, service worker,
// and the first load of / within 60 KB compressed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('web assets', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const get = (p: string, headers: Record<string, string> = {}) => fetch(s.url + p, { headers });
  /** fetch() decodes bodies itself; the encoded size needs the raw bytes, so decode by hand here. */
  const raw = async (p: string, enc: string) => {
    const { request } = await import('node:http');
    return new Promise<{
      status: number;
      headers: Record<string, string | string[] | undefined>;
      body: Buffer;
    }>((resolve, reject) => {
      const req = request(s.url + p, { headers: { 'accept-encoding': enc } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  };
  const bundles = async () => {
    const html = await (await get('/')).text();
    const js = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    const css = /href="(\/assets\/app-[A-Z0-9]+\.css)"/.exec(html)?.[1];
    assert.ok(js && css, `/ names hashed bundles: ${html}`);
    return { js, css };
  };

  test('bundles have hashed names, are cached for a year, and come brotli- or gzip-compressed', async () => {
    const { js } = await bundles();
    const br = await raw(js, 'gzip, deflate, br');
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(br.headers['vary']), /accept-encoding/i);
    const plain = zlib.brotliDecompressSync(br.body).toString();
    assert.match(plain, /preact|createElement|__H/i, 'the Preact bundle');
    const gz = await raw(js, 'gzip');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(zlib.gunzipSync(gz.body).toString(), plain);
    const none = await raw(js, '');
    assert.equal(none.headers['content-encoding'], undefined);
    assert.equal(none.body.toString(), plain);
  });

  test('everything else is revalidated: ETag, then 304 with no body', async () => {
    for (const p of [
      '/',
      '/sw.js',
      '/manifest.webmanifest',
      '/favicon.ico',
      '/assets/style.css',
      '/offline',
    ]) {
      const r = await get(p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers.get('cache-control'), 'no-cache', p);
      const etag = r.headers.get('etag');
      assert.ok(etag, `${p} has an ETag`);
      const again = await get(p, { 'if-none-match': etag });
      assert.equal(again.status, 304, p);
      assert.equal((await again.arrayBuffer()).byteLength, 0);
    }
  });

  test('icons, favicon and a manifest that names them', async () => {
    const manifest = await (await get('/manifest.webmanifest')).json();
    assert.equal(manifest.start_url, '/');
    assert.equal(manifest.display, 'standalone');
    for (const icon of manifest.icons as { src: string; sizes: string; type: string }[]) {
      const r = await get(icon.src);
      assert.equal(r.status, 200, icon.src);
      assert.equal(r.headers.get('content-type'), 'image/png');
      const png = Buffer.from(await r.arrayBuffer());
      const size = Number(icon.sizes.split('x')[0]);
      assert.equal(png.readUInt32BE(16), size, `${icon.src} is ${size} px wide`);
    }
    const ico = Buffer.from(await (await get('/favicon.ico')).arrayBuffer());
    assert.deepEqual([...ico.subarray(0, 4)], [0, 0, 1, 0], 'an ICO header');
  });

  test('the first load of / is at most 60 KB compressed', async () => {
    const { js, css } = await bundles();
    let total = 0;
    for (const p of ['/', js, css, '/manifest.webmanifest', '/favicon.ico', '/sw.js']) {
      const r = await raw(p, 'gzip, deflate, br');
      assert.equal(r.status, 200, p);
      total += r.body.length;
    }
    process.stdout.write(`# first load of / (brotli): ${total} bytes\n`);
    assert.ok(total <= 60 * 1024, `${total} bytes`);
  });
});
