// Sending, history, and the delivery trail of a message.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deliveredVia } from '../../core/delivered-via.ts';
import { visibleTo, wireMessage } from '../../core/frames.ts';
import type { HistoryItem } from '../../core/message-service.ts';
import { hasRole } from '../../domain/group.ts';
import type { Via } from '../../domain/live-protocol.ts';
import { QunError } from '../../errors/catalogue.ts';
import type { HttpContext } from '../context.ts';
import { requireUser } from '../context.ts';
import { GroupId } from './group-routes.ts';

export const MessageOut = z.union([
  z.object({
    id: z.string(),
    groupId: z.number(),
    seq: z.number(),
    from: z.object({ id: z.number(), name: z.string() }),
    body: z.string(),
    at: z.number(),
    cid: z.string().optional(),
    via: z
      .enum(['sms', 'inbox'])
      .optional()
      .describe('the message reached you by this channel: history, not news (absent when it is new to you)'),
  }),
  z.object({ groupId: z.number(), seq: z.number(), hidden: z.literal(true) }),
]);

export async function messagesOut(
  ctx: Pick<HttpContext, 'ws'>,
  items: HistoryItem[],
  via?: Map<number, Via>,
  viewerId?: number,
) {
  const out = [];
  for (const it of items) {
    if ('hidden' in it) {
      out.push({ ...it.hidden, hidden: true as const });
      continue;
    }
    const sender = await ctx.ws.framer.user(it.message.senderId);
    const w = wireMessage(it.message, sender ?? { id: it.message.senderId, displayName: null, phone: '?' });
    out.push({
      id: w.id,
      groupId: w.g,
      seq: w.seq,
      from: w.from,
      body: w.body,
      at: w.at,
      ...(w.cid ? { cid: w.cid } : {}),
      // Own messages never carry a mark: they reached their sender by being sent.
      ...(via?.has(w.seq) && it.message.senderId !== viewerId ? { via: via.get(w.seq) } : {}),
    });
  }
  return out;
}

export function messageRoutes(
  ctx: Pick<HttpContext, 'auth' | 'config' | 'membership' | 'messages' | 'store' | 'ws'>,
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/v1/groups/:id/messages',
      {
        schema: {
          tags: ['messages'],
          summary: 'Send a group message; answered once it is durable',
          description: 'A retry with the same clientMsgId is stored once and answered with the same seq.',
          params: GroupId,
          body: z.object({
            body: z.string(),
            clientMsgId: z.string().min(1).max(64).optional(),
            urgent: z
              .boolean()
              .optional()
              .describe(
                'owners and admins: overrides quiet hours, digests and "SMS only for urgent" (403 for others)',
              ),
          }),
          response: {
            201: z.object({
              id: z.string(),
              groupId: z.number(),
              seq: z.number(),
              createdAt: z.number(),
              duplicate: z.boolean(),
            }),
          },
        },
      },
      async (req, reply) => {
        const { user } = await requireUser(ctx, req);
        // The same read as a WebSocket send's: group and membership together, from memory when fresh.
        const { group, member } = await ctx.messages.sender(req.params.id, user.id);
        if (!group) throw new QunError('not_found');
        const res = await ctx.messages.post(
          {
            group,
            sender: user,
            body: req.body.body,
            source: 'http',
            clientMsgId: req.body.clientMsgId ?? null,
            urgent: req.body.urgent === true,
          },
          member,
        );
        const m = res.message;
        return reply.code(201).send({
          id: m.id,
          groupId: m.groupId,
          seq: m.seq,
          createdAt: m.createdAt,
          duplicate: res.duplicate,
        });
      },
    );

    r.get(
      '/v1/groups/:id/messages',
      {
        schema: {
          tags: ['messages'],
          summary: 'History after a sequence number, oldest first, paged',
          params: GroupId,
          querystring: z.object({
            after: z.coerce.number().int().min(0).default(0),
            limit: z.coerce.number().int().min(1).max(500).default(100),
          }),
          response: {
            200: z.object({ messages: z.array(MessageOut), lastSeq: z.number(), hasMore: z.boolean() }),
          },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const { group, me } = await ctx.membership.requireMember(
          await ctx.store.groups.byId(req.params.id),
          user.id,
        );
        const h = await ctx.messages.history(group, me, req.query.after, req.query.limit);
        const tail = h.items.at(-1);
        const lastReturned =
          tail === undefined ? h.lastSeq : 'hidden' in tail ? tail.hidden.seq : tail.message.seq;
        const via = await deliveredVia(ctx.store, group.id, user.id, req.query.after, lastReturned);
        return {
          messages: await messagesOut(ctx, h.items, via, user.id),
          lastSeq: h.lastSeq,
          hasMore: lastReturned < h.lastSeq,
        };
      },
    );

    r.get(
      '/v1/messages/:msgId/trail',
      {
        schema: {
          tags: ['messages'],
          summary: 'Where a message went, per member: each rung tried, when, the outcome and why',
          description: 'Readable by the sender and the group admins; anyone else gets 404.',
          params: z.object({ msgId: z.string().max(64) }),
          response: {
            200: z.object({
              message: z.object({ id: z.string(), groupId: z.number(), seq: z.number(), at: z.number() }),
              members: z.array(
                z.object({
                  userId: z.number(),
                  phone: z.string(),
                  name: z.string().nullable(),
                  steps: z.array(
                    z.object({
                      rung: z.string(),
                      outcome: z.string(),
                      reason: z.string(),
                      at: z.number().nullable(),
                    }),
                  ),
                }),
              ),
            }),
          },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const msg = await ctx.store.messages.byId(req.params.msgId);
        const me = msg && (await ctx.store.groups.member(msg.groupId, user.id));
        if (!msg || !me || me.state !== 'active' || (msg.senderId !== user.id && !hasRole(me, 'admin'))) {
          throw new QunError('not_found');
        }
        const [members, trail, sms] = await Promise.all([
          ctx.store.groups.members(msg.groupId, ['active', 'removed', 'left']),
          ctx.store.delivery.trailFor(msg.groupId, msg.seq),
          ctx.store.outbound.forMessage(msg.groupId, msg.seq),
        ]);
        const out = members
          .filter((m) => m.joinedSeq < msg.seq)
          .map((m) => {
            const steps: { rung: string; outcome: string; reason: string; at: number | null }[] = [];
            // A range event (an ack, a confirmation) that spans the sender's own message, or a reply the
            // member may not see, is not a delivery of it: those members get one step that says why.
            if (m.userId === msg.senderId || !visibleTo(msg, m)) {
              steps.push(
                m.userId === msg.senderId
                  ? {
                      rung: 'none',
                      outcome: 'sender',
                      reason: 'the sender gets no copy by SMS',
                      at: msg.createdAt,
                    }
                  : {
                      rung: 'none',
                      outcome: 'hidden',
                      reason: 'a reply for the owner and admins only',
                      at: msg.createdAt,
                    },
              );
              return { userId: m.userId, phone: m.phone, name: m.displayName, steps };
            }
            for (const t of trail.filter((t) => t.userId === m.userId))
              steps.push({ rung: t.rung, outcome: t.outcome, reason: t.reason, at: t.at });
            for (const o of sms.filter((o) => o.userId === m.userId)) {
              steps.push({
                rung: 'sms',
                outcome: o.state,
                reason: o.error ?? `${o.segments ?? '?'} segment(s)`,
                at: o.updatedAt,
              });
            }
            // Every step above was written by the event itself (a route, an ack, an inbox answer, a
            // confirmation, a reminder, a text's own row): nothing here is inferred from cursors.
            steps.sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
            return { userId: m.userId, phone: m.phone, name: m.displayName, steps };
          });
        return {
          message: { id: msg.id, groupId: msg.groupId, seq: msg.seq, at: msg.createdAt },
          members: out,
        };
      },
    );
  };
}
