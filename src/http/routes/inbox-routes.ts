// The mobile inbox API over the inbox use case (core/inbox.ts): GET /v1/inbox and POST /v1/inbox/read.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fetchInbox, formatSeen, parseSeen } from '../../core/inbox.ts';
import { groupAddress } from '../../domain/address.ts';
import type { HttpContext } from '../context.ts';
import { requireUser } from '../context.ts';
import { MessageOut, messagesOut } from './message-routes.ts';

export function inboxRoutes(
  ctx: Pick<HttpContext, 'auth' | 'config' | 'inbox' | 'membership' | 'plan' | 'store' | 'ws'>,
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/inbox',
      {
        schema: {
          tags: ['inbox'],
          summary: 'Pull pending messages of all your groups; `seen` confirms the previous pull',
          description:
            'You count as web-online. Messages count as fetched (their queued texts are cancelled) only once a later pull sends back `seen` (the `seen` string of the previous answer), or POST /v1/inbox/read.',
          querystring: z.object({ seen: z.string().max(20_000).optional() }),
          response: {
            200: z.object({
              groups: z.array(
                z.object({
                  id: z.number(),
                  name: z.string(),
                  address: z.string(),
                  unread: z.number(),
                  cursor: z.number(),
                  messages: z.array(MessageOut),
                }),
              ),
              seen: z.string(),
            }),
          },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req, { cookie: true });
        const inbox = await fetchInbox(ctx.inbox, user, parseSeen(req.query.seen));
        const groups = [];
        for (const g of inbox) {
          groups.push({
            id: g.group.id,
            name: g.group.name,
            address: groupAddress(ctx.plan, g.group.appNumber, g.group.groupNumber),
            unread: g.unread,
            cursor: g.cursor,
            messages: await messagesOut(
              ctx,
              g.messages.map((message) => ({ message })),
            ),
          });
        }
        return { groups, seen: formatSeen(inbox) };
      },
    );
    r.post(
      '/v1/inbox/read',
      {
        schema: {
          tags: ['inbox'],
          summary: 'Mark a group read up to a seq',
          body: z.object({ groupId: z.number().int().positive(), seq: z.number().int().min(0) }),
        },
      },
      async (req, reply) => {
        const { user } = await requireUser(ctx, req, { cookie: true });
        await ctx.membership.requireMember(await ctx.store.groups.byId(req.body.groupId), user.id);
        await ctx.store.delivery.markRead(user.id, req.body.groupId, req.body.seq);
        return reply.code(204).send();
      },
    );
  };
}
