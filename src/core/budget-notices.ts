// When a group's SMS budget runs out: its owner and admins are told once per period (day or month), by a
// notice text that is not charged to the budget; the store remembers who was told across restarts.
import type { GroupInfo } from '../domain/group.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';
import { notice } from './commands/notices.ts';

export function budgetNotifier(d: {
  store: Store;
  clock: Clock;
  metrics: Metrics;
  smsFrom: (g: GroupInfo) => string;
  onSmsQueued: () => void;
  log: { error: (o: object, msg: string) => void };
}): (groupId: number, period: 'day' | 'month', resetsAt: number) => void {
  // In memory first: a burst calls this once per member it could not text, the store is asked once.
  const told = new Set<string>();
  return (groupId, period, resetsAt) => {
    const key = `${groupId}:${period}:${resetsAt}`;
    if (told.has(key)) return;
    told.add(key);
    void (async () => {
      const now = d.clock.now();
      if (!(await d.store.policy.claimBudgetNotice(groupId, `${period}:${resetsAt}`, now))) return;
      const group = await d.store.groups.byId(groupId);
      if (!group) return;
      d.metrics.deliveries.inc({ rung: 'sms', outcome: 'budget_spent' });
      const admins = (await d.store.groups.members(groupId, ['active'])).filter(
        (m) => m.role === 'owner' || m.role === 'admin',
      );
      const texts = admins
        .filter((m) => !m.smsOptedOut)
        .map((m) => notice(m.phone, d.smsFrom(group), { kind: 'budget_spent', group: group.name, period }));
      if (texts.length === 0) return;
      await d.store.outbound.enqueue(texts, now);
      d.onSmsQueued();
    })().catch((e) => d.log.error({ err: e, groupId }, 'telling admins the SMS budget is spent failed'));
  };
}
