// The live protocol's door: WebSocket upgrades to /v1/ws, taken straight from the HTTP server's
// `upgrade` event by a bare `ws` server. Routing an upgrade through Fastify (as @fastify/websocket
// does) kept its request, reply, ServerResponse and logger alive for the socket's whole life, about
// half of an idle connection's memory; here nothing of the handshake outlives it but the address.
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { MAX_CLIENT_FRAME_BYTES } from '../domain/live-protocol.ts';
import { QunError } from '../errors/catalogue.ts';
import type { HttpContext } from '../http/context.ts';
import { sameOrigin } from '../http/context.ts';
import { errorBody } from '../http/errors.ts';
import { runWsSession } from './ws-session.ts';

export const LIVE_PATH = '/v1/ws';

export function liveUpgrades(app: FastifyInstance, ctx: HttpContext): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES });
  // Live sockets per client address: one address cannot hold the server's sockets (and memory) alone.
  const socketsByAddress = new Map<string, number>();

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own error listener off an upgrade's socket; a reset during the handshake must not
    // become an uncaught exception.
    socket.on('error', destroy);
    const refused = refusal(ctx, req, socketsByAddress);
    if (refused) {
      if (refused.code === 'rate_limited') ctx.metrics.rateLimited.inc({ kind: 'live_sockets_per_address' });
      refuse(socket, refused);
      return;
    }
    const ip = req.socket.remoteAddress ?? '';
    wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', destroy);
      socketsByAddress.set(ip, (socketsByAddress.get(ip) ?? 0) + 1);
      ws.on('close', () => {
        const n = (socketsByAddress.get(ip) ?? 1) - 1;
        if (n <= 0) socketsByAddress.delete(ip);
        else socketsByAddress.set(ip, n);
      });
      runWsSession(ctx.ws, ws);
    });
  });

  // A plain GET (no Upgrade header) is told what this address speaks. Hidden from the OpenAPI document:
  // the protocol is docs/protocol.md, not a REST route.
  app.get(LIVE_PATH, { schema: { hide: true } }, async (_req, reply) =>
    reply
      .code(426)
      .header('upgrade', 'websocket')
      .send(errorBody(new QunError('upgrade_required'))),
  );

  // Sockets still open when the server closes (those not yet signed in; the hub closed the rest) get
  // 1012 too: reconnect elsewhere now.
  app.addHook('preClose', (done) => {
    for (const client of wss.clients) client.close(1012, 'server restarting');
    wss.close(() => done());
  });
}

function refusal(
  ctx: HttpContext,
  req: IncomingMessage,
  socketsByAddress: Map<string, number>,
): QunError | undefined {
  // A stopping node takes nothing new: the client's reconnect goes to another node.
  if (ctx.stopping?.()) return new QunError('unavailable');
  if (req.url?.split('?')[0] !== LIVE_PATH || req.method !== 'GET') return new QunError('not_found');
  // A browser page on another origin may not open a socket with this user's cookies or token.
  if (!sameOrigin(ctx, req)) return new QunError('origin_refused');
  if ((socketsByAddress.get(req.socket.remoteAddress ?? '') ?? 0) >= ctx.config.liveMaxPerAddress)
    return new QunError('rate_limited', 'Too many live connections from this address.');
  return undefined;
}

/** Answers a refused upgrade as the JSON API answers errors, then closes the socket (never left open). */
function refuse(socket: Duplex, err: QunError): void {
  const { status } = err;
  const body = JSON.stringify(errorBody(err));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      (status === 503 ? 'retry-after: 5\r\n' : '') +
      'connection: close\r\n\r\n' +
      body,
    () => socket.destroy(),
  );
}

function destroy(this: Duplex): void {
  this.destroy();
}
