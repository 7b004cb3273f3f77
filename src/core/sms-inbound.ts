// Inbound texts from any gateway: the address picks service number, app or group; the app router
// finds the app by its number; the command parser decides what the text means; replies go back from
// the address the text was sent to, in the language of the command. Resolves once every effect and
// reply is durable, so a gateway (or the simulator's 202) acknowledges only what cannot be lost.
import crypto from 'node:crypto';
import type { AppRegistry } from '../apps/registry.ts';
import { type AddressPlan, parseAddress, parseGroupTag, smsFrom, smsReplyTo } from '../domain/address.ts';
import type { Lang, ParsedCommand } from '../domain/commands/command.ts';
import { parseCommand } from '../domain/commands/parse.ts';
import type { GroupInfo } from '../domain/group.ts';
import { normalisePhone } from '../domain/phone.ts';
import { QunError } from '../errors/catalogue.ts';
import type { Store, User } from '../store/store.ts';
import type { Clock } from './clock.ts';
import { type InboundSms, type TextBody, withoutNul } from './inbound-sms.ts';
import { KeyedChain } from './keyed-chain.ts';
import type { MemberCache } from './member-cache.ts';
import type { InviteReport, MembershipService } from './membership-service.ts';
import type { MessageService } from './message-service.ts';
import type { Metrics } from './metrics.ts';
import { CONFIRM_MINUTES, clip, Outbox, SINGLE_NUMBER_HELP } from './sms-outbox.ts';

export type InboundOutcome = 'command' | 'message' | 'duplicate' | 'rejected' | 'ignored';

export interface SmsInboundDeps {
  store: Store;
  apps: AppRegistry;
  membership: MembershipService;
  messages: MessageService;
  members: MemberCache;
  clock: Clock;
  metrics: Metrics;
  plan: AddressPlan;
  defaultRegion: string;
  onSmsQueued: () => void;
}

export class SmsInbound {
  readonly #d: SmsInboundDeps;
  readonly #perPhone = new KeyedChain();

  constructor(deps: SmsInboundDeps) {
    this.#d = deps;
  }

  async handle(input: InboundSms): Promise<InboundOutcome> {
    return (await this.run(input, false)).outcome;
  }

  /**
   * Runs a text. With returnReplies, the replies meant for the sender are returned instead of texted
   * (commands typed in a client); texts to others (invitations, notices) still go by SMS.
   */
  async run(
    input: InboundSms,
    returnReplies: boolean,
  ): Promise<{ outcome: InboundOutcome; replies: string[] }> {
    const phone = normalisePhone(input.from, this.#d.defaultRegion);
    if (!phone) return { outcome: this.#count('ignored'), replies: [] };
    return this.#perPhone.run(phone, () => this.#runFrom(phone, withoutNul(input), returnReplies));
  }

  /** One text from a phone; texts from the same phone run one after another, in arrival order. */
  async #runFrom(
    phone: string,
    input: InboundSms,
    returnReplies: boolean,
  ): Promise<{ outcome: InboundOutcome; replies: string[] }> {
    const d = this.#d;
    // A redelivered text is recognised by the gateway's id. It is recorded as seen only after its
    // effects are durable, so a crash in between makes the redelivery count (group messages are
    // idempotent by that same id either way).
    if (input.ref && (await d.store.outbound.inboundSeen(input.gateway, input.ref))) {
      return { outcome: this.#count('duplicate'), replies: [] };
    }
    const addr = parseAddress(input.to, d.plan);
    const out = new Outbox(input.to.replace(/^\+/, ''));
    const user = await d.store.users.upsertByPhone(phone, d.clock.now());
    let outcome: InboundOutcome = 'command';
    if (this.#isSingleNumber(input.to)) {
      outcome = await this.#atSingleNumber(user, input, out);
    } else if (addr.kind === 'foreign') {
      outcome = 'ignored';
    } else if (addr.kind === 'group') {
      outcome = await this.#atGroup(user, addr.appNumber, addr.groupNumber, input, out);
    } else {
      const appNumber = addr.kind === 'app_only' ? addr.appNumber : undefined;
      await this.#atService(user, parseCommand(input.text, 'service'), appNumber, out);
    }
    const replies: string[] = [];
    if (returnReplies) {
      const mine = out.items.filter((o) => o.toPhone === phone && o.kind === 'reply');
      replies.push(...mine.map((o) => o.text));
      out.items.splice(0, out.items.length, ...out.items.filter((o) => !mine.includes(o)));
    }
    if (out.items.length > 0) {
      await d.store.outbound.enqueue(out.items, d.clock.now());
      d.onSmsQueued();
    }
    if (input.ref) await d.store.outbound.firstInbound(input.gateway, input.ref, d.clock.now());
    return { outcome: this.#count(outcome), replies };
  }

  #isSingleNumber(to: string): boolean {
    const digits = (n: string) => n.replace(/^\+/, '');
    return this.#d.plan.mode === 'single' && digits(to.trim()) === digits(this.#d.plan.singleNumber);
  }

  /**
   * Single-number mode: `#<group number> text` picks a group; commands that name no group work as at the
   * service number; anything else goes to the group this number last received from or wrote to.
   */
  async #atSingleNumber(user: User, input: TextBody, out: Outbox): Promise<InboundOutcome> {
    const d = this.#d;
    const tag = parseGroupTag(input.text);
    if (tag) {
      for (const app of d.apps.list()) {
        const g = await d.store.groups.byNumber(app.appNumber, tag.groupNumber);
        if (g) return this.#atGroup(user, g.appNumber, g.groupNumber, { ...input, text: tag.rest }, out);
      }
      out.to(user.phone, parseCommand(tag.rest, 'group').lang, { kind: 'no_such_group' });
      return 'rejected';
    }
    const cmd = parseCommand(input.text, 'service');
    if (cmd.kind !== 'unknown' || user.lastGroupId === null) {
      await this.#atService(user, cmd, undefined, out);
      return 'command';
    }
    const g = await d.store.groups.byId(user.lastGroupId);
    if (!g) {
      out.to(user.phone, cmd.lang, { kind: 'unknown_command' });
      return 'rejected';
    }
    return this.#atGroup(user, g.appNumber, g.groupNumber, input, out);
  }

  async #atService(
    user: User,
    cmd: ParsedCommand,
    appNumber: string | undefined,
    out: Outbox,
  ): Promise<void> {
    const d = this.#d;
    if (appNumber !== undefined && !d.apps.get(appNumber)) {
      out.to(user.phone, cmd.lang, { kind: 'unknown_app', app: appNumber });
      return;
    }
    switch (cmd.kind) {
      case 'create': {
        const g = await d.membership.create(user, cmd.name, appNumber);
        out.to(user.phone, cmd.lang, { kind: 'created', group: g.name, address: this.#addr(g) });
        return;
      }
      case 'invalid':
        out.to(user.phone, cmd.lang, { kind: 'invalid_name', reason: cmd.reason });
        return;
      case 'help':
        out.to(user.phone, cmd.lang, { kind: 'help_service' });
        if (d.plan.mode === 'single') out.items.at(-1)!.text += SINGLE_NUMBER_HELP[cmd.lang];
        return;
      case 'stop':
      case 'start':
        await this.#optOut(user, cmd, out);
        return;
      default:
        out.to(user.phone, cmd.lang, { kind: 'unknown_command' });
    }
  }

  async #optOut(user: User, cmd: ParsedCommand, out: Outbox): Promise<void> {
    const stop = cmd.kind === 'stop';
    await this.#d.store.users.setOptOut(user.phone, stop, this.#d.clock.now());
    this.#d.members.invalidateAll();
    out.to(user.phone, cmd.lang, { kind: stop ? 'stopped' : 'started' });
    // The confirmation of STOP is the one text an opted-out number still gets.
    if (stop) out.items[out.items.length - 1]!.ignoreOptOut = true;
  }

  async #atGroup(
    user: User,
    appNumber: string,
    groupNumber: string,
    input: TextBody,
    out: Outbox,
  ): Promise<InboundOutcome> {
    const d = this.#d;
    const cmd = parseCommand(input.text, 'group');
    if (cmd.kind === 'stop' || cmd.kind === 'start') {
      await this.#optOut(user, cmd, out);
      return 'command';
    }
    const app = d.apps.get(appNumber);
    if (!app) {
      out.to(user.phone, cmd.lang, { kind: 'unknown_app', app: appNumber });
      return 'rejected';
    }
    const group = await d.store.groups.byNumber(appNumber, groupNumber);
    const me = group && (await d.store.groups.member(group.id, user.id));
    // Answers to an invitation are the only thing a non-member may send to a group.
    if (group && me?.state === 'invited' && (cmd.kind === 'accept' || cmd.kind === 'decline')) {
      const r = await d.membership.answer(group, user, cmd.kind === 'accept');
      if (r === 'joined')
        out.to(user.phone, cmd.lang, { kind: 'joined', group: group.name, address: this.#addr(group) });
      else if (r === 'declined') out.to(user.phone, cmd.lang, { kind: 'declined', group: group.name });
      else if (r === 'cap')
        out.to(user.phone, cmd.lang, { kind: 'group_full', group: group.name, cap: group.memberCap });
      return 'command';
    }
    if (!group || me?.state !== 'active') {
      out.to(
        user.phone,
        cmd.lang,
        cmd.kind === 'help' ? { kind: 'help_service' } : { kind: 'no_such_group' },
      );
      return 'rejected';
    }
    try {
      return await this.#memberCommand(user, group, cmd, input, out);
    } catch (e) {
      if (e instanceof QunError && e.code === 'forbidden') {
        const need = cmd.kind === 'admin' ? 'owner' : 'admin';
        out.to(user.phone, cmd.lang, { kind: 'not_allowed', group: group.name, need });
        return 'rejected';
      }
      if (e instanceof QunError && e.code === 'invalid_name') {
        out.to(user.phone, cmd.lang, { kind: 'invalid_name', reason: 'name_too_long' });
        return 'rejected';
      }
      throw e;
    }
  }

  async #memberCommand(
    user: User,
    group: GroupInfo,
    cmd: ParsedCommand,
    input: TextBody & { confirmed?: boolean },
    out: Outbox,
  ): Promise<InboundOutcome> {
    const d = this.#d;
    const lang = cmd.lang;
    const at = this.#addr(group);
    // Groups that ask for it hold membership changes sent by SMS until a code texted to the sender's
    // real phone comes back: a spoofed sender number cannot read that code. Client commands are signed in.
    const changesMembers = cmd.kind === 'invite' || cmd.kind === 'remove' || cmd.kind === 'admin';
    if (changesMembers && group.confirmAdminSms && input.gateway !== 'ws' && !input.confirmed) {
      const code = String(crypto.randomInt(1000, 10_000));
      const minutes = CONFIRM_MINUTES;
      await d.store.groups.putConfirmation(
        user.phone,
        group.id,
        code,
        input.text,
        d.clock.now() + minutes * 60_000,
      );
      out.to(user.phone, lang, {
        kind: 'confirm_needed',
        group: group.name,
        code,
        action: clip(input.text),
        minutes,
      });
      return 'command';
    }
    switch (cmd.kind) {
      case 'confirm': {
        const held = await d.store.groups.takeConfirmation(user.phone, group.id, cmd.code, d.clock.now());
        if (held === undefined) {
          out.to(user.phone, lang, { kind: 'confirm_failed', group: group.name });
          return 'rejected';
        }
        const again = parseCommand(held, 'group');
        return this.#memberCommand(user, group, again, { ...input, text: held, confirmed: true }, out);
      }
      case 'invite': {
        const r = await d.membership.invite(group, user, cmd.phones);
        out.inviteTexts(group, user, r, lang, this.#addr(group), this.#from(group));
        out.to(user.phone, lang, {
          kind: 'invite_report',
          group: group.name,
          invited: r.invited.map((u) => u.phone),
          added: r.added.map((u) => u.phone),
          already: r.already,
          invalid: r.invalid,
          refused_cap: [...r.refusedCap, ...r.rateLimited],
          opted_out: r.optedOut,
          cap: group.memberCap,
        });
        return 'command';
      }
      case 'accept':
      case 'decline':
        // A member who is already in: "Y" or "N" is an ordinary message to the group.
        return this.#post(user, group, input, out, lang);
      case 'remove':
        out.targetReplies(await d.membership.remove(group, user, cmd.phone), user, cmd.phone, lang, {
          done: (phone) => ({ kind: 'removed', group: group.name, phone }),
          notice: { kind: 'removed_notice', group: group.name },
        });
        return 'command';
      case 'admin':
        out.targetReplies(await d.membership.makeAdmin(group, user, cmd.phone), user, cmd.phone, lang, {
          done: (phone) => ({ kind: 'admin_granted', group: group.name, phone }),
          notice: { kind: 'admin_notice', group: group.name },
        });
        return 'command';
      case 'quit': {
        const r = await d.membership.quit(group, user);
        out.to(user.phone, lang, { kind: 'left', group: group.name });
        if (r.newOwner) out.to(r.newOwner.phone, lang, { kind: 'owner_notice', group: group.name }, 'notice');
        return 'command';
      }
      case 'list': {
        const members = await d.membership.list(group, user);
        out.to(user.phone, lang, {
          kind: 'members',
          group: group.name,
          members: members.map((m) => ({ phone: m.phone, role: m.role })),
          total: members.length,
        });
        return 'command';
      }
      case 'rename': {
        const renamed = await d.membership.rename(group, user, cmd.name);
        out.to(user.phone, lang, { kind: 'renamed', old: group.name, name: renamed.name });
        return 'command';
      }
      case 'invalid':
        out.to(user.phone, lang, { kind: 'invalid_name', reason: cmd.reason });
        return 'rejected';
      case 'help':
        out.to(user.phone, lang, { kind: 'help_group', group: group.name, address: at });
        return 'command';
      default:
        return this.#post(user, group, input, out, lang);
    }
  }

  async #post(
    user: User,
    group: GroupInfo,
    input: TextBody,
    out: Outbox,
    lang: Lang,
  ): Promise<InboundOutcome> {
    const d = this.#d;
    const body = input.text.trim();
    const problem = d.messages.check(body);
    if (problem === 'empty_message') return 'ignored';
    if (problem) {
      out.to(user.phone, lang, { kind: 'too_long', max: d.messages.maxChars });
      return 'rejected';
    }
    const me = await d.store.groups.member(group.id, user.id);
    if (d.plan.mode === 'single') await d.store.users.setLastGroup(user.id, group.id);
    const posted = await d.messages.post(
      {
        group,
        sender: user,
        body,
        source: 'sms',
        clientMsgId: input.ref ? `${input.gateway}:${input.ref}` : null,
      },
      me,
    );
    if (posted.duplicate) return 'duplicate';
    const app = d.apps.get(group.appNumber);
    if (me && app?.audienceFor(me) === 'admins')
      out.to(user.phone, lang, { kind: 'announce_only_admins', group: group.name });
    return 'message';
  }

  /** Texts each invitee: how to answer (policy confirm) or that they were added (policy direct). */
  async notifyInvitees(group: GroupInfo, inviter: User, r: InviteReport, lang: Lang): Promise<void> {
    const out = new Outbox(this.#from(group));
    out.inviteTexts(group, inviter, r, lang, this.#addr(group), this.#from(group));
    if (out.items.length === 0) return;
    await this.#d.store.outbound.enqueue(out.items, this.#d.clock.now());
    this.#d.onSmsQueued();
  }

  /** Where a reply tells the member to text. */
  #addr(g: GroupInfo): string {
    return smsReplyTo(this.#d.plan, g.appNumber, g.groupNumber);
  }

  /** The number a group's texts come from. */
  #from(g: GroupInfo): string {
    return smsFrom(this.#d.plan, g.appNumber, g.groupNumber);
  }

  #count(o: InboundOutcome): InboundOutcome {
    this.#d.metrics.inbound.inc({ outcome: o });
    return o;
  }
}
