// Routes the web client needs beyond the core API: sign out everywhere, and member changes by user id
// (remove, make admin) that tell the group's open pages at once. Given only what they use.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthService } from '../../core/auth-service.ts';
import type { MembershipService } from '../../core/membership-service.ts';
import { QunError } from '../../errors/catalogue.ts';
import type { Store } from '../../store/store.ts';
import { type HttpContext, requireUser, SESSION_COOKIE } from '../context.ts';

export interface WebClientDeps {
  store: Store;
  auth: AuthService;
  membership: MembershipService;
  clock: HttpContext['clock'];
  hub: { closeUser(userId: number): void; notifyGroup(groupId: number, frame: string): void };
}

const MemberRef = z.object({
  id: z.coerce.number().int().positive(),
  userId: z.coerce.number().int().positive(),
});

export function webClientRoutes(
  ctx: Pick<HttpContext, 'auth' | 'clock' | 'config' | 'hub' | 'membership' | 'store'>,
): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const d: WebClientDeps = ctx;
    r.post(
      '/v1/auth/signout-all',
      {
        schema: {
          tags: ['auth'],
          summary: 'Revoke every session of yours (all browsers and devices) and close their sockets',
          response: { 200: z.object({ revoked: z.number() }) },
        },
      },
      async (req, reply) => {
        const { user } = await requireUser(ctx, req, { cookie: true });
        const revoked = await d.store.users.revokeAllSessions(user.id, d.clock.now());
        d.hub.closeUser(user.id);
        reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0`);
        return { revoked };
      },
    );

    /** The member a user id names, in a group the caller belongs to; 404 otherwise. */
    const target = async (groupId: number, userId: number) => {
      const group = await d.store.groups.byId(groupId);
      if (!group) throw new QunError('not_found');
      const m = await d.store.groups.member(groupId, userId);
      const u =
        m && (m.state === 'active' || m.state === 'invited') ? await d.store.users.byId(userId) : undefined;
      return { group, phone: u?.phone };
    };
    r.delete(
      '/v1/groups/:id/members/:userId',
      {
        schema: {
          tags: ['groups'],
          summary: 'Remove a member or withdraw an invitation (owner or admin)',
          params: MemberRef,
        },
      },
      async (req, reply) => {
        const { user } = await requireUser(ctx, req);
        const { group, phone } = await target(req.params.id, req.params.userId);
        await d.membership.requireMember(group, user.id);
        if (!phone) throw new QunError('not_found');
        const res = await d.membership.remove(group, user, phone);
        if ('error' in res) throw new QunError('not_found');
        return reply.code(204).send();
      },
    );
    r.put(
      '/v1/groups/:id/members/:userId/role',
      {
        schema: {
          tags: ['groups'],
          summary: 'Make a member an admin (owner)',
          params: MemberRef,
          body: z.object({ role: z.literal('admin') }),
        },
      },
      async (req, reply) => {
        const { user } = await requireUser(ctx, req);
        const { group, phone } = await target(req.params.id, req.params.userId);
        await d.membership.requireMember(group, user.id);
        if (!phone) throw new QunError('not_found');
        const res = await d.membership.makeAdmin(group, user, phone);
        if ('error' in res) throw new QunError('not_found');
        // A role change has no membership event of its own: the open pages are told here.
        d.hub.notifyGroup(group.id, JSON.stringify({ t: 'group', g: group.id, event: 'members' }));
        return reply.code(204).send();
      },
    );
  };
}
