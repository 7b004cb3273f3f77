// Operator routes, behind QUN_ADMIN_KEY (closed when it is unset): queue and connection figures, and
// group policy beyond what an owner may set (member caps up to QUN_MEMBER_CAP_MAX).
import crypto from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { QunError } from '../../errors/catalogue.ts';
import type { HttpContext } from '../context.ts';
import { GroupId } from './group-routes.ts';

export function requireAdmin(ctx: Pick<HttpContext, 'config'>, req: FastifyRequest): void {
  const key = ctx.config.adminKey;
  const given = req.headers['x-qun-admin-key'];
  const ok =
    key !== undefined &&
    typeof given === 'string' &&
    given.length === key.length &&
    crypto.timingSafeEqual(Buffer.from(given), Buffer.from(key));
  if (!ok) throw new QunError('admin_key_required');
}

export function adminRoutes(ctx: Pick<HttpContext, 'config' | 'hub' | 'store'>): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/admin/summary',
      {
        schema: {
          tags: ['admin'],
          summary: 'Operator figures (header X-Qun-Admin-Key)',
          response: {
            200: z.object({
              smsQueueDepth: z.number(),
              liveConnections: z.number(),
              store: z.string(),
              gateway: z.string(),
            }),
          },
        },
      },
      async (req) => {
        requireAdmin(ctx, req);
        return {
          smsQueueDepth: await ctx.store.outbound.depth(),
          liveConnections: ctx.hub.connectionCount,
          store: ctx.store.engine,
          gateway: ctx.config.smsGateway,
        };
      },
    );
    r.patch(
      '/v1/admin/groups/:id',
      {
        schema: {
          tags: ['admin'],
          summary: 'Set any group policy (header X-Qun-Admin-Key)',
          params: GroupId,
          body: z.object({
            memberCap: z.number().int().min(2).optional(),
            invitePolicy: z.enum(['confirm', 'direct']).optional(),
            escalateToSms: z.boolean().optional(),
          }),
        },
      },
      async (req, reply) => {
        requireAdmin(ctx, req);
        if (!(await ctx.store.groups.byId(req.params.id))) throw new QunError('not_found');
        if (req.body.memberCap !== undefined && req.body.memberCap > ctx.config.memberCapMax) {
          throw new QunError(
            'validation',
            `memberCap may be at most ${ctx.config.memberCapMax} (QUN_MEMBER_CAP_MAX).`,
          );
        }
        await ctx.store.groups.setPolicy(req.params.id, req.body);
        return reply.code(204).send();
      },
    );
  };
}
