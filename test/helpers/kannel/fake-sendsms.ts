// A stand-in for smsbox's sendsms interface that accepts every text and records it, for tests of the
// webhooks that need no real Kannel.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSendsms {
  url: string;
  /** The query of each sendsms call, oldest first. */
  calls: URLSearchParams[];
  close(): Promise<void>;
}

export async function startFakeSendsms(): Promise<FakeSendsms> {
  const calls: URLSearchParams[] = [];
  const server = http.createServer((req, res) => {
    calls.push(new URL(req.url ?? '/', 'http://x').searchParams);
    res.writeHead(202, { 'content-type': 'text/html' });
    res.end('0: Accepted for delivery');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cgi-bin/sendsms`,
    calls,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
