// Web Push subscriptions for inbox reminders.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { QunError } from '../../errors/catalogue.ts';
import type { HttpContext } from '../context.ts';
import { requireUser } from '../context.ts';

const b64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]+=*$/)
  .max(200);

export function pushRoutes(
  ctx: Pick<HttpContext, 'auth' | 'clock' | 'config' | 'store' | 'vapidPublicKey'>,
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/push/key',
      {
        schema: {
          tags: ['push'],
          summary: "The server's VAPID public key",
          response: { 200: z.object({ publicKey: z.string() }) },
        },
      },
      async () => ({ publicKey: ctx.vapidPublicKey }),
    );
    r.post(
      '/v1/push/subscriptions',
      {
        schema: {
          tags: ['push'],
          summary: 'Register a browser push subscription for reminders',
          body: z.object({
            endpoint: z.string().url().max(1000),
            keys: z.object({ p256dh: b64url, auth: b64url }),
          }),
        },
      },
      async (req, reply) => {
        const { user } = await requireUser(ctx, req, { cookie: true });
        if (!req.body.endpoint.startsWith('https://'))
          throw new QunError('validation', 'Push endpoints must be https URLs.');
        await ctx.store.push.add(
          user.id,
          req.body.endpoint,
          req.body.keys.p256dh,
          req.body.keys.auth,
          ctx.clock.now(),
        );
        return reply.code(201).send({ subscribed: true });
      },
    );
    r.delete(
      '/v1/push/subscriptions',
      {
        schema: {
          tags: ['push'],
          summary: 'Remove a push subscription',
          body: z.object({ endpoint: z.string().max(1000) }),
        },
      },
      async (req, reply) => {
        const { user } = await requireUser(ctx, req, { cookie: true });
        if (!(await ctx.store.push.removeForUser(user.id, req.body.endpoint)))
          throw new QunError('not_found');
        return reply.code(204).send();
      },
    );
  };
}
