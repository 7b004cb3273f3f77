// Groups and membership: list, create, settings, members, invitations and their answers, leaving.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { groupAddress } from '../../domain/address.ts';
import { type GroupInfo, hasRole, type Membership } from '../../domain/group.ts';
import { QunError } from '../../errors/catalogue.ts';
import { httpCommand } from '../command-http.ts';
import { type HttpContext, requireUser } from '../context.ts';

export const GroupId = z.object({ id: z.coerce.number().int().positive() });

export const GroupOut = z.object({
  id: z.number(),
  appNumber: z.string(),
  groupNumber: z.string(),
  address: z.string(),
  name: z.string(),
  role: z.string(),
  lastSeq: z.number(),
  ackedSeq: z.number(),
  fetchedSeq: z.number(),
  readSeq: z.number(),
  invitePolicy: z.enum(['confirm', 'direct']),
  memberCap: z.number(),
  escalateToSms: z.boolean(),
  confirmAdminSms: z.boolean(),
});

export function groupOut(ctx: Pick<HttpContext, 'plan'>, g: GroupInfo, m: Membership) {
  return {
    id: g.id,
    appNumber: g.appNumber,
    groupNumber: g.groupNumber,
    address: groupAddress(ctx.plan, g.appNumber, g.groupNumber),
    name: g.name,
    role: m.role,
    lastSeq: g.lastSeq,
    ackedSeq: m.ackedSeq,
    fetchedSeq: m.fetchedSeq,
    readSeq: m.readSeq,
    invitePolicy: g.invitePolicy,
    memberCap: g.memberCap,
    escalateToSms: g.escalateToSms,
    confirmAdminSms: g.confirmAdminSms,
  };
}

export function groupRoutes(
  ctx: Pick<HttpContext, 'auth' | 'commands' | 'config' | 'membership' | 'plan' | 'store'>,
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const phones = z.array(z.string().max(32)).min(1).max(100);

    r.get(
      '/v1/groups',
      {
        schema: {
          tags: ['groups'],
          summary: 'Your groups and pending invitations',
          response: {
            200: z.object({
              groups: z.array(GroupOut),
              invitations: z.array(z.object({ groupId: z.number(), name: z.string(), address: z.string() })),
            }),
          },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const rows = await ctx.store.groups.ofUser(user.id, ['active', 'invited']);
        return {
          groups: rows
            .filter((x) => x.membership.state === 'active')
            .map((x) => groupOut(ctx, x.group, x.membership)),
          invitations: rows
            .filter((x) => x.membership.state === 'invited')
            .map((x) => ({
              groupId: x.group.id,
              name: x.group.name,
              address: groupAddress(ctx.plan, x.group.appNumber, x.group.groupNumber),
            })),
        };
      },
    );

    r.post(
      '/v1/groups',
      {
        schema: {
          tags: ['groups'],
          summary: 'Create a group; you are its owner',
          body: z.object({
            name: z.string().max(200),
            appNumber: z.string().regex(/^\d+$/).max(4).optional(),
          }),
          response: { 201: GroupOut },
        },
      },
      async (req, reply) => {
        const { user } = await requireUser(ctx, req);
        const r = await httpCommand(
          ctx.commands,
          user,
          { service: true, appNumber: req.body.appNumber },
          { kind: 'create', name: req.body.name },
        );
        if (r.kind !== 'created') throw new QunError('internal');
        const m = await ctx.store.groups.member(r.group.id, user.id);
        return reply.code(201).send(groupOut(ctx, r.group, m!));
      },
    );

    r.get(
      '/v1/groups/:id',
      {
        schema: {
          tags: ['groups'],
          summary: 'One of your groups',
          params: GroupId,
          response: { 200: GroupOut },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const { group, me } = await ctx.membership.requireMember(
          await ctx.store.groups.byId(req.params.id),
          user.id,
        );
        return groupOut(ctx, group, me);
      },
    );

    r.patch(
      '/v1/groups/:id',
      {
        schema: {
          tags: ['groups'],
          summary: 'Rename (admins) or change policy (owner)',
          params: GroupId,
          body: z.object({
            name: z.string().max(200).optional(),
            invitePolicy: z.enum(['confirm', 'direct']).optional(),
            escalateToSms: z.boolean().optional(),
            confirmAdminSms: z.boolean().optional(),
            memberCap: z.number().int().min(2).optional(),
          }),
          response: { 200: GroupOut },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        let { group, me } = await ctx.membership.requireMember(
          await ctx.store.groups.byId(req.params.id),
          user.id,
        );
        const b = req.body;
        if (
          b.invitePolicy !== undefined ||
          b.escalateToSms !== undefined ||
          b.memberCap !== undefined ||
          b.confirmAdminSms !== undefined
        ) {
          if (!hasRole(me, 'owner')) throw new QunError('forbidden', 'Only the owner changes group policy.');
          if (b.memberCap !== undefined && b.memberCap > ctx.config.memberCapMax) {
            throw new QunError(
              'validation',
              `memberCap may be at most ${ctx.config.memberCapMax} (QUN_MEMBER_CAP_MAX).`,
            );
          }
          await ctx.store.groups.setPolicy(group.id, b);
        }
        if (b.name !== undefined)
          await httpCommand(ctx.commands, user, { group }, { kind: 'rename', name: b.name });
        ({ group, me } = await ctx.membership.requireMember(await ctx.store.groups.byId(group.id), user.id));
        return groupOut(ctx, group, me);
      },
    );

    r.get(
      '/v1/groups/:id/members',
      {
        schema: {
          tags: ['groups'],
          summary: 'Members of a group you belong to',
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
        const { user } = await requireUser(ctx, req);
        const members = await ctx.membership.list(await ctx.store.groups.byId(req.params.id), user);
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

    r.post(
      '/v1/groups/:id/invitations',
      {
        schema: {
          tags: ['groups'],
          summary: 'Invite phone numbers (texts each invitee)',
          params: GroupId,
          body: z.object({ phones }),
          response: {
            200: z.object({
              invited: z.array(z.string()),
              added: z.array(z.string()),
              already: z.array(z.string()),
              invalid: z.array(z.string()),
              refusedCap: z.array(z.string()),
              optedOut: z.array(z.string()),
              rateLimited: z.array(z.string()),
              notAllowed: z.array(z.string()),
            }),
          },
        },
      },
      async (req) => {
        const { user } = await requireUser(ctx, req);
        const group = await ctx.store.groups.byId(req.params.id);
        const r = await httpCommand(
          ctx.commands,
          user,
          { group },
          { kind: 'invite', phones: req.body.phones },
        );
        if (r.kind !== 'invited') throw new QunError('internal');
        return {
          ...r.report,
          invited: r.report.invited.map((u) => u.phone),
          added: r.report.added.map((u) => u.phone),
        };
      },
    );

    for (const [path, accept] of [
      ['join', true],
      ['decline', false],
    ] as const) {
      r.post(
        `/v1/groups/:id/${path}`,
        {
          schema: {
            tags: ['groups'],
            summary: accept ? 'Accept your invitation' : 'Decline your invitation',
            params: GroupId,
            response: { 200: z.object({ state: z.string() }) },
          },
        },
        async (req) => {
          const { user } = await requireUser(ctx, req);
          const group = await ctx.store.groups.byId(req.params.id);
          const r = await httpCommand(ctx.commands, user, { group }, { kind: accept ? 'accept' : 'decline' });
          return { state: r.kind };
        },
      );
    }

    r.post(
      '/v1/groups/:id/leave',
      { schema: { tags: ['groups'], summary: 'Leave a group', params: GroupId } },
      async (req, reply) => {
        const { user } = await requireUser(ctx, req);
        const group = await ctx.store.groups.byId(req.params.id);
        await httpCommand(ctx.commands, user, { group }, { kind: 'quit' });
        return reply.code(204).send();
      },
    );

    // Commands aimed at one member by phone number: the same shape, the same errors.
    for (const [path, summary, kind] of [
      ['removals', 'Remove a member (owner or admin)', 'remove'],
      ['admins', 'Make a member an admin (owner)', 'admin'],
    ] as const) {
      r.post(
        `/v1/groups/:id/${path}`,
        {
          schema: {
            tags: ['groups'],
            summary,
            params: GroupId,
            body: z.object({ phone: z.string().max(32) }),
          },
        },
        async (req, reply) => {
          const { user } = await requireUser(ctx, req);
          const group = await ctx.store.groups.byId(req.params.id);
          await httpCommand(ctx.commands, user, { group }, { kind, phone: req.body.phone });
          return reply.code(204).send();
        },
      );
    }
  };
}
