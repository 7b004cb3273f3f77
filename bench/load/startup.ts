// Load generator for start-up: polls GET /healthz on the port the server is about to take, every 2 ms,
// and reports when the first 200 came (epoch ms); then waits idle and marks (the runner reads the
// server's idle RSS).
import http from 'node:http';
import { main, mark, readPlan, sleep } from './common.ts';

interface Plan {
  port: number;
  idleMs: number;
  timeoutMs: number;
}

function probe(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 1000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

main(async () => {
  const plan = readPlan<Plan>();
  const until = Date.now() + plan.timeoutMs;
  let polls = 0;
  let readyAt = 0;
  while (Date.now() < until) {
    polls++;
    if ((await probe(plan.port)) === 200) {
      readyAt = performance.timeOrigin + performance.now();
      break;
    }
    await sleep(2);
  }
  if (!readyAt) throw new Error(`no 200 from /healthz on port ${plan.port} within ${plan.timeoutMs} ms`);
  await mark('ready');
  await sleep(plan.idleMs);
  await mark('idle');
  return { readyAt, polls, idleMs: plan.idleMs };
});
