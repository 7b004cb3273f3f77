// Sign-in by SMS code, sign-out, and the signed-in user's profile.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cleanName, looksLikePhoneNumber } from '../../domain/names.ts';
import { QunError } from '../../errors/catalogue.ts';
import { type HttpContext, requireUser, SESSION_COOKIE } from '../context.ts';

const UserOut = z.object({ id: z.number(), phone: z.string(), name: z.string().nullable() });

export function authRoutes(
  ctx: Pick<HttpContext, 'auth' | 'config' | 'hub' | 'store' | 'ws'>,
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/v1/auth/code',
      {
        schema: {
          tags: ['auth'],
          summary: 'Text a sign-in code to a phone number',
          body: z.object({ phone: z.string().min(3).max(32) }),
          response: { 202: z.object({ sent: z.literal(true), expiresIn: z.number() }) },
        },
      },
      async (req, reply) => {
        const { expiresIn } = await ctx.auth.requestCode(req.body.phone, req.ip);
        return reply.code(202).send({ sent: true, expiresIn });
      },
    );
    r.post(
      '/v1/auth/token',
      {
        schema: {
          tags: ['auth'],
          summary: 'Exchange a sign-in code for a bearer token',
          body: z.object({ phone: z.string().min(3).max(32), code: z.string().max(12) }),
          response: { 200: z.object({ token: z.string(), user: UserOut }) },
        },
      },
      async (req, reply) => {
        const { token, user } = await ctx.auth.signIn(req.body.phone, req.body.code);
        const secure = ctx.config.publicUrl.startsWith('https:') ? '; Secure' : '';
        reply.header(
          'set-cookie',
          `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Lax; Path=/; Max-Age=${Math.floor(ctx.config.sessionTtl / 1000)}${secure}`,
        );
        return { token, user: { id: user.id, phone: user.phone, name: user.displayName } };
      },
    );
    r.post(
      '/v1/auth/signout',
      { schema: { tags: ['auth'], summary: 'Revoke this session and close its sockets' } },
      async (req, reply) => {
        const s = await requireUser(ctx, req, { cookie: true });
        await ctx.auth.signOut(s.sessionHash);
        ctx.hub.closeUser(s.user.id, s.sessionHash);
        reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0`);
        return reply.code(204).send();
      },
    );
    r.get(
      '/v1/me',
      {
        schema: {
          tags: ['auth'],
          summary: 'The signed-in user',
          response: { 200: UserOut.extend({ smsOptedOut: z.boolean() }) },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        return { id: user.id, phone: user.phone, name: user.displayName, smsOptedOut: user.smsOptedOut };
      },
    );
    r.patch(
      '/v1/me',
      {
        schema: {
          tags: ['auth'],
          summary: 'Set your display name',
          body: z.object({ name: z.string().trim().min(1).max(40).nullable() }),
          response: { 200: UserOut },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const name = req.body.name === null ? null : cleanName(req.body.name);
        if (name === undefined) throw new QunError('invalid_name', 'Names are 1 to 40 printable characters.');
        // A name that reads as a phone number would let its holder pass as that number's owner.
        if (name !== null && looksLikePhoneNumber(name))
          throw new QunError('invalid_name', 'A display name may not be or contain a phone number.');
        await ctx.store.users.setDisplayName(user.id, name);
        ctx.ws.framer.forget(user.id);
        return { id: user.id, phone: user.phone, name };
      },
    );
  };
}
