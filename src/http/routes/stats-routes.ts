// Dashboard figures: for the operator (admin key) every group, the delivery funnel over time, texts,
// segments and estimated spend per group, gateway and queue state, live connections on this node; for a
// group's owner the same funnel and spend for that group alone.
import os from 'node:os';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { groupAddress } from '../../domain/address.ts';
import { QunError } from '../../errors/catalogue.ts';
import type { StatsStore } from '../../store/store.ts';
import { type HttpContext, requireUser } from '../context.ts';
import { requireAdmin } from './admin-routes.ts';
import { GroupId } from './group-routes.ts';

const HOUR = 3_600_000;
export const SERIES = ['live', 'inbox', 'reminder', 'sms', 'failed'] as const;

const Window = z.object({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
});
const Funnel = z.object({
  bucketMs: z.number(),
  buckets: z.array(z.number()),
  series: z.object({
    live: z.array(z.number()),
    inbox: z.array(z.number()),
    reminder: z.array(z.number()),
    sms: z.array(z.number()),
    failed: z.array(z.number()),
  }),
});
const Spend = z.array(
  z.object({
    groupId: z.number().nullable(),
    name: z.string().nullable(),
    texts: z.number(),
    segments: z.number(),
    estimate: z.number(),
    /** Segments left of the group's SMS budget today and this month (null: no budget). */
    budgetLeft: z.object({ day: z.number().nullable(), month: z.number().nullable() }).nullable(),
  }),
);

/** Which funnel series a trail row or a text counts in. */
function seriesOf(
  kind: 'trail' | 'text',
  rung: string,
  outcome: string,
): (typeof SERIES)[number] | undefined {
  if (kind === 'text') return outcome === 'failed' ? 'failed' : outcome === 'cancelled' ? undefined : 'sms';
  if (outcome === 'failed' || outcome === 'rejected') return 'failed';
  if (rung === 'live') return outcome === 'sent' || outcome === 'acked' ? 'live' : undefined;
  if (rung === 'inbox') return 'inbox';
  if (rung === 'reminder') return 'reminder';
  return undefined;
}

export async function funnelOf(stats: StatsStore, now: number, hours: number, groupId: number | null) {
  // About 48 points whatever the window: hourly for two days, longer buckets beyond.
  const bucketMs = Math.max(HOUR / 4, Math.ceil((hours * HOUR) / 48 / (HOUR / 4)) * (HOUR / 4));
  const since = Math.floor((now - hours * HOUR) / bucketMs) * bucketMs;
  const buckets: number[] = [];
  for (let b = since; b <= now; b += bucketMs) buckets.push(b);
  const series = Object.fromEntries(SERIES.map((s) => [s, buckets.map(() => 0)])) as Record<
    (typeof SERIES)[number],
    number[]
  >;
  const add = (bucket: number, s: (typeof SERIES)[number] | undefined, n: number) => {
    const i = Math.floor((bucket - since) / bucketMs);
    if (s && i >= 0 && i < buckets.length) series[s][i]! += n;
  };
  for (const r of await stats.funnel(since, bucketMs, groupId))
    add(r.bucket, seriesOf('trail', r.rung, r.outcome), r.n);
  for (const r of await stats.texts(since, bucketMs, groupId))
    add(r.bucket, seriesOf('text', 'sms', r.state), r.n);
  return { bucketMs, buckets, series, since };
}

export function statsRoutes(
  ctx: Pick<
    HttpContext,
    'auth' | 'clock' | 'config' | 'hub' | 'membership' | 'metrics' | 'plan' | 'policy' | 'store'
  >,
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const spendOf = async (since: number, groupId: number | null) =>
      Promise.all(
        (await ctx.store.stats.spend(since, groupId)).map(async (x) => {
          const b = x.groupId === null ? undefined : await ctx.policy.budget(x.groupId);
          return {
            ...x,
            estimate: Math.round(x.segments * ctx.config.smsSegmentPrice * 100) / 100,
            budgetLeft: b ? { day: b.day.remaining, month: b.month.remaining } : null,
          };
        }),
      );

    r.get(
      '/v1/admin/dashboard',
      {
        schema: {
          tags: ['admin'],
          summary: 'Operator dashboard figures (header X-Qun-Admin-Key)',
          querystring: Window,
          response: {
            200: z.object({
              node: z.object({ id: z.string(), liveConnections: z.number() }),
              store: z.string(),
              gateway: z.object({
                name: z.string(),
                queueDepth: z.number(),
                inDoubt: z.number(),
                sent: z.number(),
                failed: z.number(),
                throttleEvents: z.number(),
              }),
              segmentPrice: z.number(),
              funnel: Funnel,
              spend: Spend,
              groups: z.array(
                z.object({
                  id: z.number(),
                  name: z.string(),
                  address: z.string(),
                  lastSeq: z.number(),
                  members: z.number(),
                }),
              ),
            }),
          },
        },
      },
      async (req) => {
        requireAdmin(ctx, req);
        const now = ctx.clock.now();
        const funnel = await funnelOf(ctx.store.stats, now, req.query.hours, null);
        const metrics = await ctx.metrics.registry.getMetricsAsJSON();
        const total = (name: string) =>
          (metrics.find((m) => m.name === name)?.values ?? []).reduce((n, v) => n + Number(v.value), 0);
        return {
          node: { id: `${os.hostname()}:${process.pid}`, liveConnections: ctx.hub.connectionCount },
          store: ctx.store.engine,
          gateway: {
            name: ctx.config.smsGateway,
            queueDepth: await ctx.store.outbound.depth(),
            inDoubt: (await ctx.store.outbound.inDoubt()).length,
            sent: total('qun_sms_sent_total'),
            failed: total('qun_sms_failed_total'),
            throttleEvents: total('qun_sms_throttle_events_total'),
          },
          segmentPrice: ctx.config.smsSegmentPrice,
          funnel: { bucketMs: funnel.bucketMs, buckets: funnel.buckets, series: funnel.series },
          spend: await spendOf(funnel.since, null),
          groups: (await ctx.store.stats.groups()).map((g) => ({
            id: g.id,
            name: g.name,
            address: groupAddress(ctx.plan, g.appNumber, g.groupNumber),
            lastSeq: g.lastSeq,
            members: g.members,
          })),
        };
      },
    );

    r.get(
      '/v1/admin/groups/:id/members',
      {
        schema: {
          tags: ['admin'],
          summary: "A group's active members (header X-Qun-Admin-Key)",
          params: GroupId,
          response: {
            200: z.object({
              members: z.array(
                z.object({
                  userId: z.number(),
                  phone: z.string(),
                  name: z.string().nullable(),
                  role: z.string(),
                }),
              ),
            }),
          },
        },
      },
      async (req) => {
        requireAdmin(ctx, req);
        if (!(await ctx.store.groups.byId(req.params.id))) throw new QunError('not_found');
        const members = await ctx.store.groups.members(req.params.id, ['active']);
        return {
          members: members.map((m) => ({
            userId: m.userId,
            phone: m.phone,
            name: m.displayName,
            role: m.role,
          })),
        };
      },
    );

    r.get(
      '/v1/groups/:id/stats',
      {
        schema: {
          tags: ['groups'],
          summary: "Your group's delivery funnel and SMS spend (owner)",
          params: GroupId,
          querystring: Window,
          response: { 200: z.object({ segmentPrice: z.number(), funnel: Funnel, spend: Spend }) },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const { group, me } = await ctx.membership.requireMember(
          await ctx.store.groups.byId(req.params.id),
          user.id,
        );
        if (me.role !== 'owner') throw new QunError('forbidden', 'Only the owner sees the group’s figures.');
        const funnel = await funnelOf(ctx.store.stats, ctx.clock.now(), req.query.hours, group.id);
        return {
          segmentPrice: ctx.config.smsSegmentPrice,
          funnel: { bucketMs: funnel.bucketMs, buckets: funnel.buckets, series: funnel.series },
          spend: await spendOf(funnel.since, group.id),
        };
      },
    );
  };
}
