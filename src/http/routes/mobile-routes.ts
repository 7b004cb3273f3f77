// The no-JavaScript mobile inbox /m: sign-in forms, the inbox (whole conversations, new ones counted as
// shown), pages of earlier messages, replies, sign-out, and the language and time-zone switches (cookies).
import crypto from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { fetchInbox, formatSeen, parseSeen } from '../../core/inbox.ts';
import { QunError } from '../../errors/catalogue.ts';
import { cookie, type HttpContext, requireUser, SESSION_COOKIE, sameOrigin } from '../context.ts';
import { renderInbox, renderSignIn } from '../pages/inbox-page.ts';
import { historyGroup, inboxGroups } from '../pages/inbox-view.ts';
import { errorText, memberZone, type PageLang, pageLang, validZone } from '../pages/page-text.ts';

const LANG_COOKIE = 'qun_lang';
const ZONE_COOKIE = 'qun_tz';
const YEAR_S = 365 * 24 * 3600;

export function mobileRoutes(
  ctx: Pick<
    HttpContext,
    'auth' | 'clock' | 'config' | 'hub' | 'inbox' | 'messages' | 'plan' | 'store' | 'ws'
  >,
): FastifyPluginAsync {
  return async (app) => {
    const html = (reply: FastifyReply, body: string, status = 200) =>
      reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
    const refreshSeconds = Math.max(10, Math.min(60, Math.floor(ctx.config.webOnlineTtl / 4000)));
    const langOf = (req: FastifyRequest): PageLang =>
      pageLang(cookie(req, LANG_COOKIE), req.headers['accept-language'] as string | undefined);
    const failText = (lang: PageLang, e: unknown) =>
      e instanceof QunError
        ? errorText(lang, e.code, e.message)
        : errorText(lang, undefined, 'Something went wrong.');
    /** Only our own /m pages may be gone back to after a switch. */
    const back = (raw: unknown) =>
      typeof raw === 'string' && /^\/m(\?[\w=&:,%-]*)?$/.test(raw) ? raw : '/m';

    app.get<{ Querystring: { seen?: string; g?: string; before?: string } }>(
      '/m',
      { schema: { hide: true } },
      async (req, reply) => {
        const lang = langOf(req);
        const session = await ctx.auth.authenticate(cookie(req, SESSION_COOKIE));
        if (!session) return html(reply, renderSignIn({ lang }));
        const { user } = session;
        const view = {
          user: { phone: user.phone, name: user.displayName },
          refreshSeconds,
          now: ctx.clock.now(),
          lang,
          timeZone: memberZone(cookie(req, ZONE_COOKIE), user.phone),
        };
        if (req.query.g !== undefined) {
          // A page of earlier messages: reading history confirms nothing and makes no one web-online.
          const g = await historyGroup(ctx, user, Number(req.query.g) || 0, Number(req.query.before) || 0);
          if (!g) throw new QunError('not_found');
          return html(reply, renderInbox({ ...view, groups: [g], seen: '', history: true }));
        }
        const inbox = await fetchInbox(ctx.inbox, user, parseSeen(req.query.seen));
        return html(
          reply,
          renderInbox({ ...view, groups: await inboxGroups(ctx, user, inbox), seen: formatSeen(inbox) }),
        );
      },
    );

    const remember = (reply: FastifyReply, name: string, value: string) =>
      reply.header(
        'set-cookie',
        `${name}=${encodeURIComponent(value)}; SameSite=Lax; Path=/m; Max-Age=${YEAR_S}`,
      );
    app.get<{ Querystring: { set?: string; back?: string } }>(
      '/m/lang',
      { schema: { hide: true } },
      (req, reply) => {
        const set = req.query.set === 'zh-CN' ? 'zh-CN' : 'en';
        remember(reply, LANG_COOKIE, set);
        return reply.redirect(back(req.query.back), 303);
      },
    );
    app.get<{ Querystring: { tz?: string } }>('/m/zone', { schema: { hide: true } }, (req, reply) => {
      const zone = validZone(req.query.tz);
      if (zone) remember(reply, ZONE_COOKIE, zone);
      return reply.redirect('/m', 303);
    });

    type Form = Record<string, string | undefined>;
    app.post<{ Body: Form }>('/m/code', { schema: { hide: true } }, async (req, reply) => {
      const lang = langOf(req);
      const phone = String(req.body?.phone ?? '');
      try {
        await ctx.auth.requestCode(phone, req.ip);
        return html(reply, renderSignIn({ phone, codeSent: true, lang }));
      } catch (e) {
        return html(reply, renderSignIn({ phone, error: failText(lang, e), lang }), 400);
      }
    });
    app.post<{ Body: Form }>('/m/signin', { schema: { hide: true } }, async (req, reply) => {
      const lang = langOf(req);
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
        return html(reply, renderSignIn({ phone, codeSent: true, error: failText(lang, e), lang }), 401);
      }
    });
    app.post<{ Body: Form }>('/m/send', { schema: { hide: true } }, async (req, reply) => {
      const { user } = await requireUser(ctx, req, { cookie: true });
      // Replying from the page shows the page arrived: confirm what it displayed.
      await fetchInbox(ctx.inbox, user, parseSeen(req.body?.seen));
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
