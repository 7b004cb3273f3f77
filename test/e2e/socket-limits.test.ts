// One client address cannot hold more live sockets than QUN_LIVE_MAX_PER_ADDRESS; closing one frees a place.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let s: TestServer;
before(async () => {
  s = await startTestServer({ QUN_LIVE_MAX_PER_ADDRESS: '3' });
});
after(() => s.close());

/** Opens a socket; resolves 'open' or the HTTP status of a refused upgrade. */
function open(): Promise<{ ws: WebSocket; result: 'open' | number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/v1/ws`);
    ws.on('open', () => resolve({ ws, result: 'open' }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, result: res.statusCode ?? 0 }));
    ws.on('error', () => {});
  });
}

test('the fourth socket from one address is refused with 429; a closed one frees its place', async () => {
  const first = await Promise.all([open(), open(), open()]);
  assert.deepEqual(
    first.map((x) => x.result),
    ['open', 'open', 'open'],
  );
  const fourth = await open();
  assert.equal(fourth.result, 429);
  const closed = new Promise((r) => first[0]!.ws.once('close', r));
  first[0]!.ws.close();
  await closed;
  await new Promise((r) => setTimeout(r, 50));
  const again = await open();
  assert.equal(again.result, 'open');
  for (const x of [...first, again]) x.ws.close();
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /qun_rate_limited_total\{kind="live_sockets_per_address"\} 1/);
});

test('a plain GET of the live address is told to upgrade (426); an upgrade to another path is 404, as JSON', async () => {
  const plain = await fetch(`${s.url}/v1/ws`);
  assert.equal(plain.status, 426);
  assert.equal(plain.headers.get('upgrade'), 'websocket');
  assert.equal(((await plain.json()) as { error: { code: string } }).error.code, 'upgrade_required');

  const other = await new Promise<{ status: number; body: string }>((resolve) => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/v1/groups`);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => {});
  });
  assert.equal(other.status, 404);
  assert.equal((JSON.parse(other.body) as { error: { code: string } }).error.code, 'not_found');
});
