// The pages: `/` (live client), `/m` (the no-JavaScript mobile inbox), `/sim` (simulated phones), and
// their assets. Browser scripts are written in TypeScript and served type-stripped.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { groupAddress } from '../../domain/address.ts';
import { QunError } from '../../errors/catalogue.ts';
import { cookie, type HttpContext, requireUser, SESSION_COOKIE, sameOrigin } from '../context.ts';
import { renderInbox, renderSignIn } from '../pages/inbox-page.ts';
import { fetchInbox, formatSeen, parseSeen } from './inbox-routes.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** Loads the web/ folder and the client's modules once: .ts files become JavaScript with their types stripped. */
function loadAssets(webDir: string, clientFile: string): Map<string, { body: string; type: string }> {
  const assets = new Map<string, { body: string; type: string }>();
  const add = (name: string, file: string) => {
    const ext = path.extname(file);
    const src = fs.readFileSync(file, 'utf8');
    if (ext === '.ts')
      assets.set(name.replace(/\.ts$/, '.js'), { body: stripTypeScriptTypes(src), type: TYPES['.js']! });
    else if (TYPES[ext]) assets.set(name, { body: src, type: TYPES[ext]! });
  };
  if (fs.existsSync(webDir)) for (const f of fs.readdirSync(webDir)) add(f, path.join(webDir, f));
  // The client's modules import each other by their .ts names (type stripping keeps specifiers as written),
  // so each is served both as <name>.js and under its own .ts name.
  const clientDir = path.dirname(clientFile);
  for (const f of fs.readdirSync(clientDir).filter((n) => n.endsWith('.ts'))) {
    add(f, path.join(clientDir, f));
    assets.set(f, assets.get(f.replace(/\.ts$/, '.js'))!);
  }
  return assets;
}

export function pageRoutes(ctx: HttpContext, clientFile: string): FastifyPluginAsync {
  return async (app) => {
    const assets = loadAssets(ctx.webDir, clientFile);
    const serve = (reply: FastifyReply, name: string) => {
      const a = assets.get(name);
      if (!a) throw new QunError('not_found');
      return reply.type(a.type).header('cache-control', 'no-cache').send(a.body);
    };
    app.get('/', { schema: { hide: true } }, (_req, reply) => serve(reply, 'index.html'));
    app.get('/sim', { schema: { hide: true } }, (_req, reply) => {
      if (!ctx.simulator) throw new QunError('not_found');
      return serve(reply, 'sim.html');
    });
    app.get('/sw.js', { schema: { hide: true } }, (_req, reply) => serve(reply, 'sw.js'));
    app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, (req, reply) =>
      serve(reply, req.params.name),
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
