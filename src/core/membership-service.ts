// Membership use cases shared by SMS commands and the HTTP API: create, invite, answer, remove, promote,
// quit, rename, list. Rules come from domain/group.ts and the group's app; each change is one
// optimistic transaction, retried when another change to the group won the race.
import type { AppRegistry } from '../apps/registry.ts';
import { candidateGroupNumber } from '../domain/address.ts';
import { MAX_GROUP_NAME_LENGTH } from '../domain/commands/command.ts';
import { canRemove, type GroupInfo, hasRole, type Membership, successor } from '../domain/group.ts';
import { cleanName } from '../domain/names.ts';
import { normalisePhone } from '../domain/phone.ts';
import { QunError } from '../errors/catalogue.ts';
import type { MembershipChange, Store, User } from '../store/store.ts';
import type { Clock } from './clock.ts';
import type { MemberCache } from './member-cache.ts';
import type { SmsPumpingGuard } from './sms-pumping-guard.ts';

export interface MembershipEvents {
  joined(userId: number, group: GroupInfo, role: Membership['role']): void;
  left(userId: number, groupId: number): void;
  renamed(group: GroupInfo): void;
  /** An invitation waits for this user's answer (open pages show it at once). */
  invited?(userId: number, group: GroupInfo): void;
}

/** What a command aimed at one member (DEL, ADMIN) did: the member it changed, or why not. */
export type TargetOutcome = { target: User } | { error: 'invalid_phone' | 'not_member' };

export interface InviteReport {
  invited: User[];
  added: User[];
  already: string[];
  invalid: string[];
  refusedCap: string[];
  optedOut: string[];
  rateLimited: string[];
  /** Numbers Qun does not text: high-cost types (premium-rate, satellite, …) or regions not allowed. */
  notAllowed: string[];
}

const DAY_MS = 86_400_000;
const RETRIES = 5;

export function cleanGroupName(raw: string): string {
  const name = cleanName(raw, MAX_GROUP_NAME_LENGTH);
  if (name === undefined) throw new QunError('invalid_name');
  return name;
}

export class MembershipService {
  readonly #store: Store;
  readonly #apps: AppRegistry;
  readonly #members: MemberCache;
  readonly #clock: Clock;
  readonly #events: MembershipEvents;
  readonly #cfg: { defaultRegion: string; memberCapDefault: number; invitesPerDay: number };
  readonly #guard: SmsPumpingGuard;

  constructor(
    store: Store,
    apps: AppRegistry,
    members: MemberCache,
    clock: Clock,
    events: MembershipEvents,
    cfg: { defaultRegion: string; memberCapDefault: number; invitesPerDay: number },
    guard: SmsPumpingGuard,
  ) {
    this.#guard = guard;
    this.#store = store;
    this.#apps = apps;
    this.#members = members;
    this.#clock = clock;
    this.#events = events;
    this.#cfg = cfg;
  }

  async create(owner: User, name: string, appNumber?: string): Promise<GroupInfo> {
    const app = appNumber === undefined ? this.#apps.defaultApp : this.#apps.get(appNumber);
    if (!app) throw new QunError('not_found', `no app with number ${appNumber}`);
    const group = await this.#store.groups.create(
      {
        appNumber: app.appNumber,
        name: cleanGroupName(name),
        invitePolicy: 'confirm',
        memberCap: this.#cfg.memberCapDefault,
        ownerId: owner.id,
      },
      (attempt) => candidateGroupNumber(attempt),
      this.#clock.now(),
    );
    this.#events.joined(owner.id, group, 'owner');
    return group;
  }

  /** The caller's active membership, or a not_found that does not tell whether the group exists. */
  async requireMember(
    group: GroupInfo | undefined,
    userId: number,
  ): Promise<{ group: GroupInfo; me: Membership }> {
    const me = group && (await this.#store.groups.member(group.id, userId));
    if (!group || !me || me.state !== 'active') throw new QunError('not_found');
    return { group, me };
  }

  async invite(groupRef: GroupInfo, actor: User, rawPhones: string[]): Promise<InviteReport> {
    const report: InviteReport = {
      invited: [],
      added: [],
      already: [],
      invalid: [],
      refusedCap: [],
      optedOut: [],
      rateLimited: [],
      notAllowed: [],
    };
    const { group, me } = await this.requireMember(groupRef, actor.id);
    const app = this.#apps.get(group.appNumber);
    if (!app?.canInvite(me)) throw new QunError('forbidden', 'Only admins may invite to this group.');
    const phones = new Set<string>();
    for (const raw of rawPhones) {
      const p = normalisePhone(raw, this.#cfg.defaultRegion);
      if (p) phones.add(p);
      else report.invalid.push(raw);
    }
    const now = this.#clock.now();
    let budget = this.#cfg.invitesPerDay - (await this.#store.groups.countInvitesBy(actor.id, now - DAY_MS));
    const candidates: User[] = [];
    for (const phone of phones) {
      // Checked first, so a refused number does not even become a user row.
      if (this.#guard.reachable(phone) !== 'ok') {
        report.notAllowed.push(phone);
        continue;
      }
      const u = await this.#store.users.upsertByPhone(phone, now);
      const existing = await this.#store.groups.member(group.id, u.id);
      if (existing && (existing.state === 'active' || existing.state === 'invited'))
        report.already.push(phone);
      else if (u.smsOptedOut) report.optedOut.push(phone);
      else if (budget <= 0 || (await this.#guard.allowInvite(phone)) !== 'ok') report.rateLimited.push(phone);
      else {
        candidates.push(u);
        budget--;
      }
    }
    await this.#retry(group.id, async (version) => {
      const all = await this.#store.groups.members(group.id, ['active', 'invited']);
      const room = Math.max(0, group.memberCap - all.length);
      const take = candidates.slice(0, room);
      report.refusedCap = candidates.slice(room).map((u) => u.phone);
      const state = group.invitePolicy === 'direct' ? 'active' : 'invited';
      const changes: MembershipChange[] = take.map((u) => ({
        userId: u.id,
        state,
        role: 'member',
        invitedBy: actor.id,
      }));
      if (changes.length === 0) return true;
      const ok = await this.#store.groups.applyMembership(group.id, version, changes, this.#clock.now());
      if (ok) {
        if (state === 'active') report.added = take;
        else report.invited = take;
      }
      return ok;
    });
    if (report.added.length > 0) {
      this.#members.invalidate(group.id);
      for (const u of report.added) this.#events.joined(u.id, group, 'member');
    }
    for (const u of report.invited) this.#events.invited?.(u.id, group);
    return report;
  }

  async answer(
    group: GroupInfo,
    user: User,
    accept: boolean,
  ): Promise<'joined' | 'declined' | 'no_invitation' | 'cap'> {
    let result = 'no_invitation' as 'joined' | 'declined' | 'no_invitation' | 'cap';
    await this.#retry(group.id, async (version) => {
      const m = await this.#store.groups.member(group.id, user.id);
      if (m?.state !== 'invited') {
        result = 'no_invitation';
        return true;
      }
      if (accept) {
        const active = await this.#store.groups.members(group.id, ['active']);
        if (active.length >= group.memberCap) {
          result = 'cap';
          return true;
        }
      }
      result = accept ? 'joined' : 'declined';
      return this.#store.groups.applyMembership(
        group.id,
        version,
        [{ userId: user.id, state: accept ? 'active' : 'declined', role: 'member' }],
        this.#clock.now(),
      );
    });
    if (result === 'joined') {
      this.#members.invalidate(group.id);
      this.#events.joined(user.id, group, 'member');
    }
    return result;
  }

  async remove(groupRef: GroupInfo, actor: User, rawPhone: string): Promise<TargetOutcome> {
    const { group, me } = await this.requireMember(groupRef, actor.id);
    if (!hasRole(me, 'admin')) throw new QunError('forbidden');
    const phone = normalisePhone(rawPhone, this.#cfg.defaultRegion);
    if (!phone) return { error: 'invalid_phone' };
    const target = await this.#store.users.byPhone(phone);
    let outcome = { error: 'not_member' } as TargetOutcome;
    await this.#retry(group.id, async (version) => {
      const self = await this.#store.groups.member(group.id, actor.id);
      const t = target && (await this.#store.groups.member(group.id, target.id));
      if (!target || !t || (t.state !== 'active' && t.state !== 'invited')) {
        outcome = { error: 'not_member' };
        return true;
      }
      if (t.state === 'active' && !canRemove(self, t)) throw new QunError('forbidden');
      outcome = { target };
      return this.#store.groups.applyMembership(
        group.id,
        version,
        [{ userId: target.id, state: 'removed', role: 'member' }],
        this.#clock.now(),
      );
    });
    if ('target' in outcome) {
      this.#members.invalidate(group.id);
      this.#events.left(outcome.target.id, group.id);
    }
    return outcome;
  }

  async makeAdmin(groupRef: GroupInfo, actor: User, rawPhone: string): Promise<TargetOutcome> {
    const { group, me } = await this.requireMember(groupRef, actor.id);
    if (!hasRole(me, 'owner')) throw new QunError('forbidden', 'Only the owner may make admins.');
    const phone = normalisePhone(rawPhone, this.#cfg.defaultRegion);
    if (!phone) return { error: 'invalid_phone' };
    const target = await this.#store.users.byPhone(phone);
    let outcome = { error: 'not_member' } as TargetOutcome;
    await this.#retry(group.id, async (version) => {
      const t = target && (await this.#store.groups.member(group.id, target.id));
      if (!target || t?.state !== 'active') {
        outcome = { error: 'not_member' };
        return true;
      }
      if (t.role !== 'member') {
        outcome = { target };
        return true;
      }
      outcome = { target };
      return this.#store.groups.applyMembership(
        group.id,
        version,
        [{ userId: target.id, state: 'active', role: 'admin' }],
        this.#clock.now(),
      );
    });
    this.#members.invalidate(group.id);
    return outcome;
  }

  /** Leaves a group; an owner hands the group to the longest-serving admin, else member. */
  async quit(groupRef: GroupInfo | undefined, user: User): Promise<{ newOwner: Membership | undefined }> {
    const { group } = await this.requireMember(groupRef, user.id);
    let newOwner: Membership | undefined;
    await this.#retry(group.id, async (version) => {
      const all = await this.#store.groups.members(group.id, ['active']);
      const me = all.find((m) => m.userId === user.id);
      if (!me) throw new QunError('not_found');
      newOwner = me.role === 'owner' ? successor(all, user.id) : undefined;
      const changes: MembershipChange[] = [{ userId: user.id, state: 'left', role: 'member' }];
      if (newOwner) changes.push({ userId: newOwner.userId, state: 'active', role: 'owner' });
      return this.#store.groups.applyMembership(group.id, version, changes, this.#clock.now());
    });
    this.#members.invalidate(group.id);
    this.#events.left(user.id, group.id);
    return { newOwner };
  }

  async rename(groupRef: GroupInfo, actor: User, rawName: string): Promise<GroupInfo> {
    const { group, me } = await this.requireMember(groupRef, actor.id);
    if (!hasRole(me, 'admin')) throw new QunError('forbidden');
    const name = cleanGroupName(rawName);
    await this.#store.groups.rename(group.id, name);
    const renamed = { ...group, name };
    this.#events.renamed(renamed);
    return renamed;
  }

  async list(groupRef: GroupInfo | undefined, actor: User): Promise<Membership[]> {
    const { group } = await this.requireMember(groupRef, actor.id);
    return this.#store.groups.members(group.id, ['active']);
  }

  async #retry(groupId: number, attempt: (version: number) => Promise<boolean>): Promise<void> {
    for (let i = 0; i < RETRIES; i++) {
      if (await attempt(await this.#store.groups.version(groupId))) return;
    }
    throw new QunError('conflict');
  }
}
