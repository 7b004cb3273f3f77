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
