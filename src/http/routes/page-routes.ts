// The pages' files: `/` (the web app), `/admin` (the dashboard), `/sim` (simulated phones), the service
// worker, manifest, icons and every asset, compressed and cached as web-assets.ts prepared them.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { QunError } from '../../errors/catalogue.ts';
import type { HttpContext } from '../context.ts';
import { type Asset, loadWebAssets } from '../web-assets.ts';

export function pageRoutes(
  ctx: Pick<HttpContext, 'simulator' | 'webDir'>,
  clientFile: string,
): FastifyPluginAsync {
  return async (app) => {
    const assets = await loadWebAssets(ctx.webDir, clientFile);
    // The shells, which name the hashed bundles, were prepared with them.
    for (const b of ['app.js', 'app.css', 'admin.js', 'admin.css']) assets.hashed(b);
    const appShell = assets.get('app/index.html');
    const adminShell = assets.get('admin/index.html');
    const send = (req: FastifyRequest, reply: FastifyReply, a: Asset | undefined) => {
      if (!a) throw new QunError('not_found');
      reply
        .type(a.type)
        .header('etag', a.etag)
        .header('vary', 'accept-encoding')
        .header('cache-control', a.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
      const accept = String(req.headers['accept-encoding'] ?? '');
      if (a.br !== a.body && /\bbr\b/.test(accept)) return reply.header('content-encoding', 'br').send(a.br);
      if (a.gzip !== a.body && /\bgzip\b/.test(accept))
        return reply.header('content-encoding', 'gzip').send(a.gzip);
      return reply.send(a.body);
    };
    const serve = (req: FastifyRequest, reply: FastifyReply, name: string) =>
      send(req, reply, assets.get(name));
    app.get('/', { schema: { hide: true } }, (req, reply) => send(req, reply, appShell));
    app.get('/admin', { schema: { hide: true } }, (req, reply) => send(req, reply, adminShell));
    app.get('/sim', { schema: { hide: true } }, (req, reply) => {
      if (!ctx.simulator) throw new QunError('not_found');
      return serve(req, reply, 'sim.html');
    });
    app.get('/sw.js', { schema: { hide: true } }, (req, reply) => serve(req, reply, 'sw.js'));
    app.get('/offline', { schema: { hide: true } }, (req, reply) => serve(req, reply, 'offline.html'));
    app.get('/manifest.webmanifest', { schema: { hide: true } }, (req, reply) =>
      serve(req, reply, 'manifest.webmanifest'),
    );
    app.get('/favicon.ico', { schema: { hide: true } }, (req, reply) => serve(req, reply, 'favicon.ico'));
    app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, (req, reply) =>
      serve(req, reply, req.params.name),
    );
  };
}
