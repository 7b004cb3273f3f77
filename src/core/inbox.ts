// The inbox rung's use case (patent: the temporary message store, pulled by the mobile web client): a
// pull makes the member web-online and returns what is pending in every group; messages count as
// delivered only when the next pull (or a reply) carries the answer's cursor back as `seen`, so an answer
// lost on the way never loses a message, like a cumulative ack over plain HTTP and page loads. Shared by
// GET /v1/inbox and the /m pages.
import type { GroupInfo, Membership } from '../domain/group.ts';
import type { PresenceRegistry } from '../presence/presence.ts';
import type { Store, StoredMessage, User } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';
import { visibleTo } from './frames.ts';

/** What the inbox use case is given. */
export interface InboxDeps {
  store: Store;
  presence: PresenceRegistry;
  clock: Clock;
  metrics: Metrics;
  /** From an item entering the inbox to its reminder (QUN_REMINDER_DELAY). */
  reminderDelayMs: number;
  /**
   * Resolves once the member's live acks that this node holds are written: acks are written in batches
   * under load, and a pull that read the cursors before them would show again, as pending, what the
   * member's live client has already acknowledged.
   */
  acksWritten: (userId: number) => Promise<void>;
}

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
  ctx: InboxDeps,
  user: User,
  seen: { groupId: number; seq: number }[] = [],
): Promise<InboxGroup[]> {
  const now = ctx.clock.now();
  ctx.presence.webFetched(user.id, now);
  await ctx.acksWritten(user.id);
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
      now + ctx.reminderDelayMs,
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
