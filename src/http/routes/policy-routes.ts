// Delivery policy over HTTP: a member's own preferences for a group, and the group's SMS budget (spend,
// what is left, the owner's limits) and digest window.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { hasRole } from '../../domain/group.ts';
import type { DeliveryPrefs } from '../../domain/policy.ts';
import { canonicalZone, zoneForPhone } from '../../domain/quiet-hours.ts';
import { QunError } from '../../errors/catalogue.ts';
import type { HttpContext } from '../context.ts';
import { requireUser } from '../context.ts';
import { GroupId } from './group-routes.ts';

const Hour = z.number().int().min(0).max(23);
const Quiet = z.object({ start: Hour, end: Hour });
const PrefsOut = z.object({
  smsMode: z.enum(['normal', 'never', 'urgent_only', 'always']),
  muted: z.boolean(),
  digest: z.boolean(),
  quiet: Quiet.nullable(),
  timeZone: z.string().nullable().describe('null: the zone of your number’s region'),
  effectiveTimeZone: z.string(),
});
const PrefsPatch = z
  .object({
    smsMode: z.enum(['normal', 'never', 'urgent_only', 'always']),
    muted: z.boolean(),
    digest: z.boolean(),
    quiet: Quiet.nullable(),
    timeZone: z.string().max(64).nullable(),
  })
  .partial()
  .strict();
const Period = z.object({
  limit: z.number().nullable().describe('segments; null = no limit'),
  spent: z.number(),
  remaining: z.number().nullable(),
  resetsAt: z.number(),
});
const BudgetOut = z.object({
  day: Period,
  month: Period,
  own: z.object({ day: z.number().nullable(), month: z.number().nullable() }),
  ceiling: z.object({ day: z.number().nullable(), month: z.number().nullable() }),
  digestWindowMs: z.number().nullable(),
});
const Limit = z.number().int().min(0).max(1_000_000_000).nullable();
const BudgetPatch = z
  .object({
    day: Limit,
    month: Limit,
    digestWindowMs: z.number().int().min(60_000).max(86_400_000).nullable(),
  })
  .partial()
  .strict();

export function policyRoutes(ctx: HttpContext): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const out = (p: DeliveryPrefs, phone: string) => ({
      ...p,
      effectiveTimeZone: p.timeZone ?? zoneForPhone(phone),
    });

    r.get(
      '/v1/groups/:id/preferences',
      {
        schema: {
          tags: ['groups'],
          summary: 'Your delivery preferences for this group',
          params: GroupId,
          response: { 200: PrefsOut },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const { group } = await ctx.membership.requireMember(
          await ctx.store.groups.byId(req.params.id),
          user.id,
        );
        return out(await ctx.policy.prefsOf(group.id, user.id), user.phone);
      },
    );

    r.patch(
      '/v1/groups/:id/preferences',
      {
        schema: {
          tags: ['groups'],
          summary:
            'Set your delivery preferences for this group (the same as the SMS commands MUTE, SMS OFF, QUIET 22-7 …)',
          params: GroupId,
          body: PrefsPatch,
          response: { 200: PrefsOut },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const { group } = await ctx.membership.requireMember(
          await ctx.store.groups.byId(req.params.id),
          user.id,
        );
        const b = req.body;
        if (b.quiet && b.quiet.start === b.quiet.end)
          throw new QunError('invalid_preferences', 'Quiet hours need a start and an end that differ.');
        let timeZone = b.timeZone;
        if (typeof timeZone === 'string') {
          const zone = canonicalZone(timeZone);
          if (zone === null) throw new QunError('invalid_preferences', `Unknown time zone "${timeZone}".`);
          timeZone = zone;
        }
        const now = await ctx.policy.prefsOf(group.id, user.id);
        const next: DeliveryPrefs = {
          smsMode: b.smsMode ?? now.smsMode,
          muted: b.muted ?? now.muted,
          digest: b.digest ?? now.digest,
          quiet: b.quiet === undefined ? now.quiet : b.quiet,
          timeZone: timeZone === undefined ? now.timeZone : timeZone,
        };
        await ctx.policy.setPrefs(group.id, user.id, next);
        return out(next, user.phone);
      },
    );

    const budgetOf = async (groupId: number) => {
      const [state, own] = await Promise.all([ctx.policy.budget(groupId), ctx.policy.groupPolicy(groupId)]);
      const c = ctx.policy.ceilings;
      return {
        ...state,
        own: { day: own.smsBudgetDay, month: own.smsBudgetMonth },
        ceiling: { day: c.day || null, month: c.month || null },
        digestWindowMs: own.digestWindowMs,
      };
    };

    r.get(
      '/v1/groups/:id/sms-cost',
      {
        schema: {
          tags: ['messages'],
          summary: 'What sending this text now would cost: segments × members who would be texted now',
          description:
            'For the send box. Texts held (quiet hours, digests) are counted apart; nothing is sent or spent.',
          params: GroupId,
          querystring: z.object({
            body: z.string().max(20_000),
            urgent: z.enum(['true', 'false']).optional(),
          }),
          response: {
            200: z.object({
              segments: z.number(),
              textedNow: z.number(),
              heldForLater: z.number(),
              segmentsNow: z.number(),
            }),
          },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const { group, me } = await ctx.membership.requireMember(
          await ctx.store.groups.byId(req.params.id),
          user.id,
        );
        const urgent = req.query.urgent === 'true' && hasRole(me, 'admin');
        return ctx.delivery.previewSms(group, user, req.query.body, urgent);
      },
    );

    r.get(
      '/v1/groups/:id/sms-budget',
      {
        schema: {
          tags: ['groups'],
          summary: 'The group’s SMS spend and what is left today and this month (owner and admins)',
          params: GroupId,
          response: { 200: BudgetOut },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const { group, me } = await ctx.membership.requireMember(
          await ctx.store.groups.byId(req.params.id),
          user.id,
        );
        if (!hasRole(me, 'admin')) throw new QunError('forbidden', 'Only admins may see the SMS budget.');
        return budgetOf(group.id);
      },
    );

    r.patch(
      '/v1/groups/:id/sms-budget',
      {
        schema: {
          tags: ['groups'],
          summary:
            'Set the group’s SMS budget in segments per UTC day and month, and its digest window (owner)',
          description:
            'null returns a limit to the operator default. Above the operator ceiling: budget_above_ceiling.',
          params: GroupId,
          body: BudgetPatch,
          response: { 200: BudgetOut },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const { group, me } = await ctx.membership.requireMember(
          await ctx.store.groups.byId(req.params.id),
          user.id,
        );
        if (!hasRole(me, 'owner')) throw new QunError('forbidden', 'Only the owner may set the SMS budget.');
        const c = ctx.policy.ceilings;
        const b = req.body;
        if ((c.day > 0 && (b.day ?? 0) > c.day) || (c.month > 0 && (b.month ?? 0) > c.month))
          throw new QunError(
            'budget_above_ceiling',
            `At most ${c.day || '∞'} a day and ${c.month || '∞'} a month.`,
          );
        const now = await ctx.policy.groupPolicy(group.id);
        await ctx.policy.setGroupPolicy(group.id, {
          smsBudgetDay: b.day === undefined ? now.smsBudgetDay : b.day,
          smsBudgetMonth: b.month === undefined ? now.smsBudgetMonth : b.month,
          digestWindowMs: b.digestWindowMs === undefined ? now.digestWindowMs : b.digestWindowMs,
        });
        return budgetOf(group.id);
      },
    );
  };
}
