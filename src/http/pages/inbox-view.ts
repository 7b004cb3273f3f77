// What /m shows per group: the latest part of the conversation around the member's new messages (own
// messages and those texted to the member included, and marked), and pages of earlier messages.
import { visibleTo } from '../../core/frames.ts';
import type { InboxGroup } from '../../core/inbox.ts';
import { groupAddress } from '../../domain/address.ts';
import type { GroupInfo, Membership } from '../../domain/group.ts';
import type { StoredMessage, User } from '../../store/store.ts';
import type { HttpContext } from '../context.ts';
import type { InboxGroupView, InboxMessageView } from './inbox-page.ts';

/** Messages of a conversation shown at once on a feature phone. */
export const CONVERSATION = 20;

async function views(
  ctx: Pick<HttpContext, 'store' | 'ws'>,
  user: User,
  group: GroupInfo,
  membership: Membership,
  msgs: StoredMessage[],
  fresh: Set<number>,
): Promise<InboxMessageView[]> {
  const from = msgs[0]?.seq ?? 0;
  const texted =
    msgs.length > 0 ? await ctx.store.outbound.textedSeqs(group.id, user.id, from - 1) : new Set<number>();
  const out: InboxMessageView[] = [];
  for (const m of msgs) {
    if (!visibleTo(m, membership)) continue;
    const u = await ctx.ws.framer.user(m.senderId);
    out.push({
      seq: m.seq,
      fromName: u?.displayName ?? u?.phone ?? '?',
      body: m.body,
      at: m.createdAt,
      mine: m.senderId === user.id,
      viaSms: texted.has(m.seq),
      isNew: fresh.has(m.seq),
    });
  }
  return out;
}

/** Each group of an inbox pull as a conversation: the new messages and what came before them. */
export async function inboxGroups(
  ctx: Pick<HttpContext, 'plan' | 'store' | 'ws'>,
  user: User,
  inbox: InboxGroup[],
): Promise<InboxGroupView[]> {
  const out: InboxGroupView[] = [];
  for (const g of inbox) {
    const fresh = new Set(g.messages.map((m) => m.seq));
    const firstNew = g.messages[0]?.seq ?? g.cursor + 1;
    // Up to the pull's cursor (what `seen` will confirm), and at least a conversation's worth before it.
    const to = g.cursor;
    const start = Math.max(g.membership.joinedSeq, Math.min(to - CONVERSATION, firstNew - 4));
    const msgs = to > start ? await ctx.store.messages.range(g.group.id, start, to, to - start) : [];
    out.push({
      id: g.group.id,
      name: g.group.name,
      address: groupAddress(ctx.plan, g.group.appNumber, g.group.groupNumber),
      unread: fresh.size,
      messages: await views(ctx, user, g.group, g.membership, msgs, fresh),
      ...(start > g.membership.joinedSeq ? { earlierHref: `/m?g=${g.group.id}&before=${start + 1}` } : {}),
      moreNew: to < g.group.lastSeq,
    });
  }
  return out;
}

/** One page of a group's earlier messages (before `before`), for /m?g=&before=; nothing is confirmed by it. */
export async function historyGroup(
  ctx: Pick<HttpContext, 'plan' | 'store' | 'ws'>,
  user: User,
  groupId: number,
  before: number,
): Promise<InboxGroupView | undefined> {
  const group = await ctx.store.groups.byId(groupId);
  const membership = group && (await ctx.store.groups.member(groupId, user.id));
  if (!group || !membership || membership.state !== 'active') return undefined;
  const to = Math.min(group.lastSeq, Math.max(0, before - 1));
  const start = Math.max(membership.joinedSeq, to - CONVERSATION);
  const msgs = to > start ? await ctx.store.messages.range(group.id, start, to, to - start) : [];
  return {
    id: group.id,
    name: group.name,
    address: groupAddress(ctx.plan, group.appNumber, group.groupNumber),
    unread: 0,
    messages: await views(ctx, user, group, membership, msgs, new Set()),
    ...(start > membership.joinedSeq ? { earlierHref: `/m?g=${group.id}&before=${start + 1}` } : {}),
    ...(to < group.lastSeq
      ? { laterHref: `/m?g=${group.id}&before=${Math.min(group.lastSeq + 1, to + CONVERSATION + 1)}` }
      : {}),
  };
}
