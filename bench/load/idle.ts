// Load generator for idle connections: opens one authenticated live connection per token (spreading
// them over source addresses 127.0.0.1, .2, … so that no address runs out of ephemeral ports), marks
// the server's RSS before and after, and keeps them open and idle while it settles.
import type WebSocket from 'ws';
import { connectLive, log, main, mark, now, pool, readPlan, sleep } from './common.ts';

interface Plan {
  url: string;
  tokens: string[];
  settleMs: number;
  perAddress: number;
}

main(async () => {
  const plan = readPlan<Plan>();
  const sockets: WebSocket[] = [];
  let failed = 0;
  let firstError = '';
  let closed = 0;
  let frames = 0;
  // The server has just started: give it a moment to settle before the baseline.
  await sleep(1_000);
  await mark('baseline');
  const t0 = now();
  let done = 0;
  await pool(plan.tokens, 256, async (token, i) => {
    const localAddress = `127.0.0.${1 + Math.floor(i / plan.perAddress)}`;
    try {
      const { ws } = await connectLive(plan.url, token, () => frames++, { localAddress, timeoutMs: 60_000 });
      ws.on('close', () => closed++);
      sockets.push(ws);
    } catch (e) {
      failed++;
      if (!firstError) firstError = e instanceof Error ? e.message : String(e);
    }
    if (++done % 10_000 === 0) log(`idle: ${done} connections (${((now() - t0) / 1000).toFixed(1)} s)`);
  });
  const connectSeconds = (now() - t0) / 1000;
  await sleep(plan.settleMs);
  await mark('connected');
  // Held open past the measurement for a diagnosis (a heap snapshot of the server, SIGUSR2 with
  // --heapsnapshot-signal): docs/performance.md#idle-connections.
  await sleep(Number(process.env.QUN_BENCH_IDLE_HOLD_MS ?? 0));
  const result = {
    connected: sockets.length - closed,
    failed,
    firstError,
    closedWhileIdle: closed,
    framesWhileIdle: frames,
    connectSeconds,
    connectsPerSec: sockets.length / connectSeconds,
  };
  for (const ws of sockets) ws.terminate();
  return result;
});
