// The mobile inbox API. A pull marks the member web-online and returns pending messages; they count as
// fetched only when the next pull (or a reply) carries their cursor back as `seen`, so an answer lost on
// the way never loses a message: like a cumulative ack, over plain HTTP and page loads.
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
  /** The seq this pull reached: sent back as `seen`, it confirms everything up to it. */
  cursor: number;
}

const SEEN = /^\d{1,12}:\d{1,15}(,\d{1,12}:\d{1,15}){0,499}$/;

/** Parses `12:40,13:7` (group id : seq); anything malformed is ignored rather than half-applied. */
export function parseSeen(raw: string | undefined): { groupId: number; seq: number }[] {
  if (!raw || !SEEN.test(raw)) return [];
  return raw.split(',').map((p) => {
    const [g, q] = p.split(':');
    return { groupId: Number(g), seq: Number(q) };
  });
}

export function formatSeen(groups: InboxGroup[]): string {
  return groups.map((g) => `${g.group.id}:${g.cursor}`).join(',');
}

/**
 * Confirms what the member's last pull showed (`seen`), then returns what is still pending in every
 * group (shared with the /m page). Confirmed messages are fetched: their queued texts are cancelled and
 * their reminders cleared.
 */
export async function fetchInbox(
  ctx: HttpContext,
  user: User,
  seen: { groupId: number; seq: number }[] = [],
): Promise<InboxGroup[]> {
  const now = ctx.clock.now();
  ctx.presence.webFetched(user.id, now);
  let rows = await ctx.store.groups.ofUser(user.id, ['active']);
  const confirm: { groupId: number; seq: number }[] = [];
  for (const s of seen) {
    const row = rows.find((r) => r.group.id === s.groupId);
    // Only the member's own groups, and never past the end of the log.
    if (row && s.seq > Math.max(row.membership.fetchedSeq, row.membership.ackedSeq)) {
      confirm.push({ groupId: s.groupId, seq: Math.min(s.seq, row.group.lastSeq) });
    }
  }
  if (confirm.length > 0) {
    const cancelled = await ctx.store.delivery.fetched(user.id, confirm, now);
    if (cancelled > 0) ctx.metrics.deliveries.inc({ rung: 'sms', outcome: 'cancelled' }, cancelled);
    ctx.metrics.deliveries.inc({ rung: 'inbox', outcome: 'fetched' }, confirm.length);
    rows = await ctx.store.groups.ofUser(user.id, ['active']);
  }
  const out: InboxGroup[] = [];
  for (const { group, membership } of rows) {
    const from = Math.max(membership.fetchedSeq, membership.ackedSeq, membership.joinedSeq);
    const page = await ctx.store.messages.range(group.id, from, group.lastSeq, PER_GROUP);
    // Texts still queued for what this page shows are cancelled first (the inbox takes them over, with
    // its reminder); then texts already handed to the gateway hide their messages: never both.
    const shown = page.filter((m) => visibleTo(m, membership) && m.senderId !== user.id).map((m) => m.seq);
    const handed = await ctx.store.delivery.showInInbox(
      user.id,
      group.id,
      shown,
      now,
      now + ctx.config.reminderDelay,
    );
    if (handed.length > 0) ctx.metrics.deliveries.inc({ rung: 'sms', outcome: 'cancelled' }, handed.length);
    const texted =
      page.length > 0 ? await ctx.store.outbound.textedSeqs(group.id, user.id, from) : new Set<number>();
    const msgs = page.filter((m) => visibleTo(m, membership) && !texted.has(m.seq) && m.senderId !== user.id);
    out.push({
      group,
      membership,
      messages: msgs,
      unread: group.lastSeq - from,
      cursor: page.at(-1)?.seq ?? from,
    });
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
        const inbox = await fetchInbox(ctx, user, parseSeen(req.query.seen));
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
