// Simulator-only routes: text Qun as any phone, and read what Qun texted each phone.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { normalisePhone } from '../../domain/phone.ts';
import { QunError } from '../../errors/catalogue.ts';
import type { HttpContext } from '../context.ts';

export function simRoutes(
  ctx: Pick<HttpContext, 'apps' | 'config' | 'inbound' | 'store'>,
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/v1/sim/sms',
      {
        schema: {
          tags: ['simulator'],
          summary: 'Inject a text as if a phone sent it (answers 202 once durably accepted)',
          body: z.object({
            from: z.string().min(3).max(32),
            to: z.string().regex(/^\+?\d{1,32}$/, 'digits only'),
            text: z.string().max(10_000),
            id: z.string().max(64).optional(),
          }),
          response: { 202: z.object({ accepted: z.literal(true), outcome: z.string() }) },
        },
      },
      async (req, reply) => {
        if (!normalisePhone(req.body.from, ctx.config.defaultRegion)) throw new QunError('invalid_phone');
        const outcome = await ctx.inbound.handle({ ...req.body, gateway: 'sim', ref: req.body.id ?? null });
        return reply.code(202).send({ accepted: true, outcome });
      },
    );
    r.get(
      '/v1/sim/sms',
      {
        schema: {
          tags: ['simulator'],
          summary: 'Texts Qun sent to a simulated phone, oldest first',
          querystring: z.object({
            phone: z.string().max(32),
            after: z.coerce.number().int().min(0).default(0),
          }),
          response: {
            200: z.object({
              messages: z.array(
                z.object({
                  id: z.number(),
                  from: z.string(),
                  to: z.string(),
                  text: z.string(),
                  at: z.number(),
                }),
              ),
            }),
          },
        },
      },
      async (req) => {
        const phone = normalisePhone(req.query.phone, ctx.config.defaultRegion);
        if (!phone) throw new QunError('invalid_phone');
        return { messages: await ctx.store.sim.textsTo(phone, req.query.after, 1000) };
      },
    );
    r.get(
      '/v1/sim/phones',
      {
        schema: {
          tags: ['simulator'],
          summary: 'Simulated phones that sent or received texts',
          response: {
            200: z.object({
              phones: z.array(z.object({ phone: z.string(), texts: z.number(), lastAt: z.number() })),
            }),
          },
        },
      },
      async () => ({ phones: await ctx.store.sim.phones() }),
    );
    r.get(
      '/v1/sim/info',
      {
        schema: {
          tags: ['simulator'],
          summary: 'How addresses are built here',
          response: {
            200: z.object({
              serviceNumber: z.string(),
              appNumbers: z.array(
                z.object({ appNumber: z.string(), kind: z.string(), description: z.string() }),
              ),
            }),
          },
        },
      },
      async () => ({
        serviceNumber: ctx.config.serviceNumber,
        appNumbers: ctx.apps
          .list()
          .map((a) => ({ appNumber: a.appNumber, kind: a.kind, description: a.description })),
      }),
    );
  };
}
