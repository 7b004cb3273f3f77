// Shared set-up for the Store contract files: a group with members, messages and texts to route.
import assert from 'node:assert/strict';
import { DEFAULT_LEASE } from '../../src/store/rules/lease-rules.ts';
import type {
  DueReminder,
  FallbackRoute,
  NewMessage,
  NewOutbound,
  ReminderDone,
  Store,
} from '../../src/store/store.ts';

export interface StoreFactory {
  /** A new, empty store. */
  open(): Promise<Store>;
  /** A second store on the same data (another Qun node), where the engine allows it. */
  openSecond?(first: Store): Promise<Store>;
  /**
   * Another store on the same data whose claims are leased to `nodeId` (another node, or this one restarted
   * under another name): a second pool on PostgreSQL, a second connection to the file on SQLite.
   */
  openNode(first: Store, nodeId: string): Promise<Store>;
}

export const T0 = 1_800_000_000_000;
/** The lease of a store opened without one (the contract's stores): claimed work expires this long after. */
export const LEASE = DEFAULT_LEASE.ms;

export async function groupWithMembers(store: Store, n: number) {
  const owner = await store.users.upsertByPhone('+8613800000000', T0);
  const group = await store.groups.create(
    { appNumber: '01', name: 'Test', invitePolicy: 'direct', memberCap: 500, ownerId: owner.id },
    (attempt) => String(1000 + attempt),
    T0,
  );
  const users = [owner];
  for (let i = 1; i < n; i++) users.push(await store.users.upsertByPhone(`+86138000000${10 + i}`, T0));
  const changes = users
    .slice(1)
    .map((u) => ({ userId: u.id, state: 'active' as const, role: 'member' as const }));
  assert.ok(await store.groups.applyMembership(group.id, 0, changes, T0));
  return { group, owner, users };
}

export function msg(
  groupId: number,
  senderId: number,
  i: number,
  clientMsgId: string | null = null,
): NewMessage {
  return {
    groupId,
    id: `m-${groupId}-${senderId}-${i}-${clientMsgId ?? 'x'}`,
    senderId,
    body: `message ${i}`,
    source: 'http',
    clientMsgId,
    audience: 'all',
    createdAt: T0 + i,
  };
}

export function text(groupId: number, userId: number, phone: string, seq: number): NewOutbound {
  return {
    kind: 'group_message',
    toPhone: phone,
    fromAddr: '1065801',
    text: `t${seq}`,
    groupId,
    seq,
    userId,
  };
}

/** A fall-back route of (seqFrom, seqTo] to SMS with one text per seq (or to the inbox, with none). */
export function smsRoute(
  groupId: number,
  user: { id: number; phone: string },
  seqFrom: number,
  seqTo: number,
  over: Partial<FallbackRoute> = {},
): FallbackRoute {
  const seqs = Array.from({ length: seqTo - seqFrom }, (_, i) => seqFrom + i + 1);
  return {
    groupId,
    userId: user.id,
    seqFrom,
    seqTo,
    rung: 'sms',
    reason: 'test',
    at: T0,
    reminderDueAt: null,
    sms: seqs.map((s) => text(groupId, user.id, user.phone, s)),
    ...over,
  };
}

/** The state of each member text of these seqs, in seq order (one list per seq). */
export async function textStates(store: Store, groupId: number, seqs: number[]) {
  const all = await Promise.all(seqs.map((s) => store.outbound.forMessage(groupId, s)));
  return all.map((list) => list.map((o) => o.state));
}

/** Runs a test body on a fresh store and closes it whatever happens. */
export async function withStore(factory: StoreFactory, body: (store: Store) => Promise<void>): Promise<void> {
  const store = await factory.open();
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

/** remindDue's answer for a reminder settled at once with no channel: a trail row, no text, no escalation. */
export function sentReminder(r: DueReminder, at: number): ReminderDone {
  return {
    groupId: r.groupId,
    userId: r.userId,
    trail: {
      groupId: r.groupId,
      userId: r.userId,
      seqFrom: r.fromSeq,
      seqTo: r.toSeq,
      rung: 'reminder',
      outcome: 'no_subscription',
      reason: 'test',
      at,
    },
    escalateAt: null,
  };
}
