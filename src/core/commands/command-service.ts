// The command use cases, one place for every ingress: SMS (core/sms-inbound.ts), the WebSocket `cmd`
// frame and the HTTP routes call run() with the actor, where the command is aimed, the parsed command
// and the reply language, and render the structured result. Texts to other people that a command
// causes (invitations, notices) are queued here, each in its recipient's language.
import crypto from 'node:crypto';
import type { AppRegistry } from '../../apps/registry.ts';
import { type AddressPlan, smsFrom, smsReplyTo } from '../../domain/address.ts';
import { parseCommand } from '../../domain/commands/parse.ts';
import { type GroupInfo, hasRole, type Membership } from '../../domain/group.ts';
import { canonicalZone } from '../../domain/quiet-hours.ts';
import { QunError } from '../../errors/catalogue.ts';
import type { NewOutbound, Store, User } from '../../store/store.ts';
import type { Metrics } from '../../util/metrics.ts';
import type { Clock } from '../clock.ts';
import type { MemberCache } from '../member-cache.ts';
import type { MembershipService } from '../membership-service.ts';
import type { MessageService } from '../message-service.ts';
import type { PolicyService } from '../policy-service.ts';
import type { CommandOutcome, CommandRequest, CommandResult } from './command-result.ts';
import { clipAction, inviteTexts, notice } from './notices.ts';
import { applyPrefsChange } from './prefs-command.ts';

/** How long a membership change sent by SMS waits for its confirmation code. */
export const CONFIRM_MINUTES = 5;
/** Wrong codes per number and group within the lock-out window before changes by SMS are paused. */
export const CONFIRM_MAX_FAILURES = 3;
export const CONFIRM_LOCK_MINUTES = 60;
const DAY_MS = 86_400_000;
const URGENT_PREFIX = /^(?:[!！]|急[\s:：!！])([\s\S]*)$/u;

export interface CommandDeps {
  store: Store;
  apps: AppRegistry;
  membership: MembershipService;
  messages: MessageService;
  members: MemberCache;
  clock: Clock;
  plan: AddressPlan;
  metrics: Metrics;
  policy: PolicyService;
  limits: { groupsPerPhonePerDay: number };
  onSmsQueued: () => void;
}

type GroupRequest = CommandRequest & { at: { group: GroupInfo | undefined } };

export class CommandService {
  readonly #d: CommandDeps;

  constructor(deps: CommandDeps) {
    this.#d = deps;
  }

  /** Where a reply tells the member to text for this group. */
  address(g: GroupInfo): string {
    return smsReplyTo(this.#d.plan, g.appNumber, g.groupNumber);
  }

  /** Runs one command. Refusals are results; only faults (storage, lost races) throw. */
  async run(req: CommandRequest): Promise<CommandResult> {
    const texts: NewOutbound[] = [];
    const outcome = await this.#run(req, texts, false);
    if (texts.length > 0) {
      await this.#d.store.outbound.enqueue(texts, this.#d.clock.now());
      this.#d.onSmsQueued();
    }
    return { ...outcome, lang: req.lang };
  }

  async #run(req: CommandRequest, texts: NewOutbound[], confirmed: boolean): Promise<CommandOutcome> {
    const { cmd } = req;
    // STOP and START work at every address, for members and strangers alike.
    if (cmd.kind === 'stop' || cmd.kind === 'start') return this.#optOut(req.actor, cmd.kind === 'stop');
    if ('service' in req.at) return this.#atService(req, req.at.appNumber);
    return this.#atGroup(req as GroupRequest, texts, confirmed);
  }

  async #atService(req: CommandRequest, appNumber: string | undefined): Promise<CommandOutcome> {
    const { cmd } = req;
    switch (cmd.kind) {
      case 'create': {
        if (appNumber !== undefined && !this.#d.apps.get(appNumber))
          return { kind: 'refused', code: 'unknown_app', app: appNumber };
        // Each group is rows and a reply: one number may not make them by the thousand.
        const max = this.#d.limits.groupsPerPhonePerDay;
        if ((await this.#d.store.groups.countCreatedBy(req.actor.id, this.#d.clock.now() - DAY_MS)) >= max) {
          this.#d.metrics.rateLimited.inc({ kind: 'groups_per_phone' });
          return { kind: 'refused', code: 'group_limit', max };
        }
        try {
          return { kind: 'created', group: await this.#d.membership.create(req.actor, cmd.name, appNumber) };
        } catch (e) {
          if (e instanceof QunError && e.code === 'invalid_name') return badName(cmd.name);
          throw e;
        }
      }
      case 'invalid':
        return { kind: 'refused', code: 'invalid_name', reason: cmd.reason };
      case 'help':
        return { kind: 'help' };
      default:
        return { kind: 'refused', code: 'unknown_command' };
    }
  }

  async #atGroup(req: GroupRequest, texts: NewOutbound[], confirmed: boolean): Promise<CommandOutcome> {
    const d = this.#d;
    const { group } = req.at;
    const { cmd, actor } = req;
    const me = group && (await d.store.groups.member(group.id, actor.id));
    // Answers to an invitation are the only thing a non-member may send to a group.
    if (group && me?.state === 'invited' && (cmd.kind === 'accept' || cmd.kind === 'decline')) {
      const r = await d.membership.answer(group, actor, cmd.kind === 'accept');
      if (r === 'joined') return { kind: 'joined', group };
      if (r === 'declined') return { kind: 'declined', group };
      if (r === 'cap') return { kind: 'refused', code: 'member_cap', group };
      return { kind: 'refused', code: 'no_invitation' };
    }
    if (!group || me?.state !== 'active') {
      const answering = cmd.kind === 'accept' || cmd.kind === 'decline';
      return { kind: 'refused', code: answering && req.text === undefined ? 'no_invitation' : 'not_found' };
    }
    try {
      return await this.#memberCommand(req, group, me, texts, confirmed);
    } catch (e) {
      if (e instanceof QunError && e.code === 'forbidden') {
        return { kind: 'refused', code: 'forbidden', group, need: cmd.kind === 'admin' ? 'owner' : 'admin' };
      }
      if (e instanceof QunError && e.code === 'invalid_name')
        return badName(cmd.kind === 'rename' ? cmd.name : '');
      if (e instanceof QunError && e.code === 'not_found') return { kind: 'refused', code: 'not_found' };
      throw e;
    }
  }

  async #memberCommand(
    req: GroupRequest,
    group: GroupInfo,
    me: Membership,
    texts: NewOutbound[],
    confirmed: boolean,
  ): Promise<CommandOutcome> {
    const d = this.#d;
    const { cmd, actor } = req;
    const from = smsFrom(d.plan, group.appNumber, group.groupNumber);
    // Groups that ask for it hold membership changes sent by SMS until a code texted to the sender's
    // real phone comes back: a spoofed sender number cannot read that code. Clients are signed in.
    const changesMembers = cmd.kind === 'invite' || cmd.kind === 'remove' || cmd.kind === 'admin';
    if (changesMembers && group.confirmAdminSms && req.via === 'sms' && !confirmed) {
      if (await this.#lockedOut(actor.phone, group.id))
        return { kind: 'unanswered', group, reason: 'confirm_locked' };
      const code = String(crypto.randomInt(0, 1_000_000)).padStart(6, '0');
      const typed = req.text ?? '';
      const now = d.clock.now();
      const expires = now + CONFIRM_MINUTES * 60_000;
      // One code at a time: while one is pending, a repeat (or a forger's flood) texts nothing.
      if (!(await d.store.groups.putConfirmation(actor.phone, group.id, code, typed, expires, now)))
        return { kind: 'unanswered', group, reason: 'confirm_pending' };
      return { kind: 'confirm_needed', group, code, action: clipAction(typed), minutes: CONFIRM_MINUTES };
    }
    switch (cmd.kind) {
      case 'confirm': {
        if (await this.#lockedOut(actor.phone, group.id))
          return { kind: 'unanswered', group, reason: 'confirm_locked' };
        const held = await d.store.groups.takeConfirmation(actor.phone, group.id, cmd.code, d.clock.now());
        if (held === undefined) {
          // The wrong code that reaches the limit is answered once, saying so; after it, silence.
          if (await this.#lockedOut(actor.phone, group.id)) {
            d.metrics.rateLimited.inc({ kind: 'confirm_locked' });
            return { kind: 'refused', code: 'confirm_locked', group, minutes: CONFIRM_LOCK_MINUTES };
          }
          return { kind: 'refused', code: 'confirm_failed', group };
        }
        const again = parseCommand(held, 'group');
        return this.#memberCommand({ ...req, cmd: again, text: held }, group, me, texts, true);
      }
      case 'invite': {
        const report = await d.membership.invite(group, actor, cmd.phones);
        texts.push(...inviteTexts(group, actor, report, this.address(group), from));
        return { kind: 'invited', group, report };
      }
      case 'remove':
      case 'admin': {
        const act = cmd.kind === 'remove' ? d.membership.remove : d.membership.makeAdmin;
        const r = await act.call(d.membership, group, actor, cmd.phone);
        if ('error' in r) {
          return r.error === 'invalid_phone'
            ? { kind: 'refused', code: 'invalid_phone', input: cmd.phone }
            : { kind: 'refused', code: 'not_member', input: cmd.phone };
        }
        const kind = cmd.kind === 'remove' ? 'removed_notice' : 'admin_notice';
        texts.push(notice(r.target.phone, from, { kind, group: group.name }));
        return { kind: cmd.kind === 'remove' ? 'removed' : 'admin_granted', group, target: r.target };
      }
      case 'quit': {
        const r = await d.membership.quit(group, actor);
        if (r.newOwner)
          texts.push(notice(r.newOwner.phone, from, { kind: 'owner_notice', group: group.name }));
        return { kind: 'left', group, newOwner: r.newOwner };
      }
      case 'list':
        return { kind: 'members', group, members: await d.membership.list(group, actor) };
      case 'rename':
        return { kind: 'renamed', old: group.name, group: await d.membership.rename(group, actor, cmd.name) };
      case 'invalid':
        return { kind: 'refused', code: 'invalid_name', reason: cmd.reason };
      case 'help':
        return { kind: 'help', group };
      case 'prefs': {
        let change = cmd.change;
        if (change.what === 'quiet' && change.zone !== null) {
          const zone = canonicalZone(change.zone);
          if (zone === null) return { kind: 'refused', code: 'invalid_quiet' };
          change = { ...change, zone };
        }
        const now = await d.policy.prefsOf(group.id, actor.id);
        const next = applyPrefsChange(now, change);
        await d.policy.setPrefs(group.id, actor.id, next.prefs);
        return { kind: 'prefs_set', group, prefs: next.prefs, setting: next.setting(actor.phone) };
      }
      case 'invalid_quiet':
        return { kind: 'refused', code: 'invalid_quiet' };
      case 'accept':
      case 'decline':
        // A member who is already in: "Y" or "N" typed is an ordinary message to the group.
        if (req.text === undefined) return { kind: 'refused', code: 'no_invitation' };
        return this.#post(req, group, me);
      case 'create':
      case 'unknown':
      case 'stop':
      case 'start':
      case 'message':
        return this.#post(req, group, me);
    }
  }

  async #lockedOut(phone: string, groupId: number): Promise<boolean> {
    const since = this.#d.clock.now() - CONFIRM_LOCK_MINUTES * 60_000;
    return (await this.#d.store.groups.countConfirmFailures(phone, groupId, since)) >= CONFIRM_MAX_FAILURES;
  }

  async #post(req: GroupRequest, group: GroupInfo, me: Membership): Promise<CommandOutcome> {
    const d = this.#d;
    let body = (req.text ?? (req.cmd.kind === 'message' ? req.cmd.text : '')).trim();
    // "!" or "急" in front marks a message urgent, from an owner or admin; from others it is plain text.
    const mark = URGENT_PREFIX.exec(body);
    const urgent = mark !== null && hasRole(me, 'admin') && mark[1]!.trim() !== '';
    if (urgent) body = mark[1]!.trim();
    const problem = d.messages.check(body);
    if (problem === 'empty_message') return { kind: 'empty' };
    if (problem === 'message_too_long') return { kind: 'refused', code: problem, max: d.messages.maxChars };
    if (problem) return { kind: 'refused', code: problem };
    const posted = await d.messages.post(
      { group, sender: req.actor, body, source: req.via, clientMsgId: req.clientMsgId ?? null, urgent },
      me,
    );
    const adminsOnly = d.apps.get(group.appNumber)?.audienceFor(me) === 'admins';
    return { kind: 'posted', group, message: posted.message, duplicate: posted.duplicate, adminsOnly };
  }

  async #optOut(user: User, stop: boolean): Promise<CommandOutcome> {
    await this.#d.store.users.setOptOut(user.phone, stop, this.#d.clock.now());
    this.#d.members.invalidateAll();
    return { kind: stop ? 'stopped' : 'started' };
  }
}

function badName(name: string): CommandOutcome {
  return {
    kind: 'refused',
    code: 'invalid_name',
    reason: name.trim() === '' ? 'missing_name' : 'name_too_long',
  };
}
