// The mobile inbox API: pulling pending messages marks the member web-online and the items fetched.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { visibleTo } from '../../core/frames.ts';
import { groupAddress } from '../../domain/address.ts';
import type { GroupInfo, Membership } from '../../domain/group.ts';
import type { StoredMessage, User } from '../../store/store.ts';
import type { HttpContext } from '../context.ts';
import { requireUser } from '../context.ts';
import { MessageOut, messagesOut } from './message-routes.ts';

const PER_GROUP = 50;

export interface InboxGroup {
  group: GroupInfo;
  membership: Membership;
  messages: StoredMessage[];
  unread: number;
}

/** Fetches a member's pending messages in every group and records the fetch (shared with the /m page). */
export async function fetchInbox(ctx: HttpContext, user: User): Promise<InboxGroup[]> {
  const now = ctx.clock.now();
  ctx.presence.webFetched(user.id, now);
  const rows = await ctx.store.groups.ofUser(user.id, ['active']);
  const out: InboxGroup[] = [];
  const upTo: { groupId: number; seq: number }[] = [];
  for (const { group, membership } of rows) {
    const from = Math.max(membership.fetchedSeq, membership.ackedSeq, membership.joinedSeq);
    const page = await ctx.store.messages.range(group.id, from, group.lastSeq, PER_GROUP);
    // Messages that went to this member by SMS are delivered: the inbox does not show them twice.
    const texted =
      page.length > 0 ? await ctx.store.outbound.textedSeqs(group.id, user.id, from) : new Set<number>();
    const msgs = page.filter((m) => visibleTo(m, membership) && !texted.has(m.seq) && m.senderId !== user.id);
    const last = page.at(-1)?.seq;
    if (last !== undefined) upTo.push({ groupId: group.id, seq: last });
    out.push({ group, membership, messages: msgs, unread: group.lastSeq - from });
  }
  if (upTo.length > 0) {
    const cancelled = await ctx.store.delivery.fetched(user.id, upTo, now);
    if (cancelled > 0) ctx.metrics.deliveries.inc({ rung: 'sms', outcome: 'cancelled' }, cancelled);
    ctx.metrics.deliveries.inc({ rung: 'inbox', outcome: 'fetched' }, upTo.length);
  }
  return out;
}

export function inboxRoutes(ctx: HttpContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/inbox',
      {
        schema: {
          tags: ['inbox'],
          summary: 'Pull pending messages of all your groups (marks them fetched; you count as web-online)',
          response: {
            200: z.object({
              groups: z.array(
                z.object({
                  id: z.number(),
                  name: z.string(),
                  address: z.string(),
                  unread: z.number(),
                  messages: z.array(MessageOut),
                }),
              ),
            }),
          },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req, { cookie: true });
        const inbox = await fetchInbox(ctx, user);
        const groups = [];
        for (const g of inbox) {
          groups.push({
            id: g.group.id,
            name: g.group.name,
            address: groupAddress(ctx.plan, g.group.appNumber, g.group.groupNumber),
            unread: g.unread,
            messages: await messagesOut(
              ctx,
              g.messages.map((message) => ({ message })),
            ),
          });
        }
        return { groups };
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
