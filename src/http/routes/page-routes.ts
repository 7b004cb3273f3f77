// The pages: `/` (live client), `/m` (the no-JavaScript mobile inbox), `/sim` (simulated phones), and
// their assets. Browser scripts are written in TypeScript and served type-stripped.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { groupAddress } from '../../domain/address.ts';
import { QunError } from '../../errors/catalogue.ts';
import { cookie, type HttpContext, requireUser, SESSION_COOKIE, sameOrigin } from '../context.ts';
import { renderInbox, renderSignIn } from '../pages/inbox-page.ts';
import { type Asset, dynamicAsset, loadWebAssets, ASSET_TYPES as TYPES } from '../web-assets.ts';
import { fetchInbox, formatSeen, parseSeen } from './inbox-routes.ts';

export function pageRoutes(ctx: HttpContext, clientFile: string): FastifyPluginAsync {
  return async (app) => {
    const assets = await loadWebAssets(ctx.webDir, clientFile);
    // The shells name the hashed bundles; they are made once here and revalidated by ETag.
    const shell = (file: string, names: Record<string, string>) => {
      let text = fs.readFileSync(path.join(ctx.webDir, file), 'utf8');
      for (const [k, v] of Object.entries(names)) text = text.replaceAll(`{{${k}}}`, `/assets/${v}`);
      return dynamicAsset(text, TYPES['.html']!);
    };
    const appShell = shell('app/index.html', {
      'app.js': assets.hashed('app.js'),
      'app.css': assets.hashed('app.css'),
    });
    const adminShell = shell('admin/index.html', {
      'admin.js': assets.hashed('admin.js'),
      'admin.css': assets.hashed('admin.css'),
    });
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

    const html = (reply: FastifyReply, body: string, status = 200) =>
      reply.code(status).type(TYPES['.html']!).send(body);
    const refreshSeconds = Math.max(10, Math.min(60, Math.floor(ctx.config.webOnlineTtl / 4000)));

    app.get<{ Querystring: { seen?: string } }>('/m', { schema: { hide: true } }, async (req, reply) => {
      const session = await ctx.auth.authenticate(cookie(req, SESSION_COOKIE));
      if (!session) return html(reply, renderSignIn({}));
      const inbox = await fetchInbox(ctx, session.user, parseSeen(req.query.seen));
      const groups = [];
      for (const g of inbox) {
        const messages = [];
        for (const m of g.messages) {
          const u = await ctx.ws.framer.user(m.senderId);
          messages.push({
            seq: m.seq,
            fromName: u?.displayName ?? u?.phone ?? '?',
            body: m.body,
            at: m.createdAt,
          });
        }
        groups.push({
          id: g.group.id,
          name: g.group.name,
          address: groupAddress(ctx.plan, g.group.appNumber, g.group.groupNumber),
          unread: g.unread,
          messages,
        });
      }
      return html(
        reply,
        renderInbox({
          user: { phone: session.user.phone, name: session.user.displayName },
          groups,
          refreshSeconds,
          now: ctx.clock.now(),
          seen: formatSeen(inbox),
        }),
      );
    });

    type Form = Record<string, string | undefined>;
    app.post<{ Body: Form }>('/m/code', { schema: { hide: true } }, async (req, reply) => {
      const phone = String(req.body?.phone ?? '');
      try {
        await ctx.auth.requestCode(phone, req.ip);
        return html(reply, renderSignIn({ phone, codeSent: true }));
      } catch (e) {
        return html(
          reply,
          renderSignIn({ phone, error: e instanceof QunError ? e.message : 'Something went wrong.' }),
          400,
        );
      }
    });
    app.post<{ Body: Form }>('/m/signin', { schema: { hide: true } }, async (req, reply) => {
      const phone = String(req.body?.phone ?? '');
      try {
        const { token } = await ctx.auth.signIn(phone, String(req.body?.code ?? ''));
        const secure = ctx.config.publicUrl.startsWith('https:') ? '; Secure' : '';
        reply.header(
          'set-cookie',
          `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${Math.floor(ctx.config.sessionTtl / 1000)}${secure}`,
        );
        return reply.redirect('/m', 303);
      } catch (e) {
        return html(
          reply,
          renderSignIn({
            phone,
            codeSent: true,
            error: e instanceof QunError ? e.message : 'Something went wrong.',
          }),
          401,
        );
      }
    });
    app.post<{ Body: Form }>('/m/send', { schema: { hide: true } }, async (req, reply) => {
      const { user } = await requireUser(ctx, req, { cookie: true });
      // Replying from the page shows the page arrived: confirm what it displayed.
      await fetchInbox(ctx, user, parseSeen(req.body?.seen));
      const group = await ctx.store.groups.byId(Number(req.body?.groupId));
      if (!group) throw new QunError('not_found');
      await ctx.messages.post({
        group,
        sender: user,
        body: String(req.body?.body ?? ''),
        source: 'http',
        clientMsgId: String(req.body?.cid ?? crypto.randomUUID()).slice(0, 64),
      });
      return reply.redirect('/m', 303);
    });
    app.post('/m/signout', { schema: { hide: true } }, async (req, reply) => {
      if (!sameOrigin(ctx, req)) throw new QunError('forbidden');
      const session = await ctx.auth.authenticate(cookie(req, SESSION_COOKIE));
      if (session) {
        await ctx.auth.signOut(session.sessionHash);
        ctx.hub.closeUser(session.user.id, session.sessionHash);
      }
      reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0`);
      return reply.redirect('/m', 303);
    });
  };
}
