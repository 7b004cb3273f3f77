// Inbound texts from any gateway: the address picks service number, app or group; the command parser
// decides what the text means; core/commands runs it; the reply goes back from the address the text
// was sent to. Resolves once every effect and reply is durable, so a gateway (or the simulator's 202)
// acknowledges only what cannot be lost.
import type { AppRegistry } from '../apps/registry.ts';
import { type AddressPlan, parseAddress, parseGroupTag } from '../domain/address.ts';
import type { Destination } from '../domain/commands/command.ts';
import { parseCommand } from '../domain/commands/parse.ts';
import { reply } from '../domain/commands/replies.ts';
import type { GroupInfo } from '../domain/group.ts';
import { textLanguage } from '../domain/language.ts';
import { normalisePhone } from '../domain/phone.ts';
import type { NewOutbound, Store, User } from '../store/store.ts';
import { KeyedChain } from '../util/keyed-chain.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';
import type { CommandRequest, CommandResult } from './commands/command-result.ts';
import type { CommandService } from './commands/command-service.ts';
import { replyText } from './commands/reply-texts.ts';
import { type InboundSms, withoutNul } from './inbound-sms.ts';
import type { SmsPumpingGuard } from './sms-pumping-guard.ts';

export type InboundOutcome = 'command' | 'message' | 'duplicate' | 'rejected' | 'ignored';

export interface SmsInboundDeps {
  store: Store;
  apps: AppRegistry;
  commands: CommandService;
  clock: Clock;
  metrics: Metrics;
  guard: SmsPumpingGuard;
  plan: AddressPlan;
  defaultRegion: string;
  onSmsQueued: () => void;
}

/** Where a text is aimed once its address is read: a group (maybe unknown) or the service. */
type Target = { group: GroupInfo | undefined } | { service: true; appNumber?: string | undefined };

export class SmsInbound {
  readonly #d: SmsInboundDeps;
  readonly #perPhone = new KeyedChain();

  constructor(deps: SmsInboundDeps) {
    this.#d = deps;
  }

  async handle(input: InboundSms): Promise<InboundOutcome> {
    const phone = normalisePhone(input.from, this.#d.defaultRegion);
    if (!phone) return this.#count('ignored');
    return this.#perPhone.run(phone, () => this.#runFrom(phone, withoutNul(input)));
  }

  /** One text from a phone; texts from the same phone run one after another, in arrival order. */
  async #runFrom(phone: string, input: InboundSms): Promise<InboundOutcome> {
    const d = this.#d;
    // A redelivered text is recognised by the gateway's id. It is recorded as seen only after its
    // effects are durable, so a crash in between makes the redelivery count (group messages are
    // idempotent by that same id either way).
    if (input.ref && (await d.store.outbound.inboundSeen(input.gateway, input.ref))) {
      return this.#count('duplicate');
    }
    const user = await d.store.users.upsertByPhone(phone, d.clock.now());
    const replyFrom = input.to.replace(/^\+/, '');
    const replies: NewOutbound[] = [];
    const say = (text: string | undefined, stopped = false) => {
      if (text === undefined) return;
      const r: NewOutbound = {
        kind: 'reply',
        toPhone: phone,
        fromAddr: replyFrom,
        text,
        groupId: null,
        seq: null,
        userId: null,
      };
      // The confirmation of STOP is the one text an opted-out number still gets.
      if (stopped) r.ignoreOptOut = true;
      replies.push(r);
    };
    const outcome = await this.#route(user, input, say);
    // Replies are what a stranger's texts cost us: capped per phone and hour, and by the daily cap.
    // Beyond them Qun answers nothing (the command itself still ran); the guard counts it in a metric.
    if (replies.length > 0 && (await d.guard.allowReply(phone)) !== 'ok') replies.length = 0;
    if (replies.length > 0) {
      await d.store.outbound.enqueue(replies, d.clock.now());
      d.onSmsQueued();
    }
    if (input.ref) await d.store.outbound.firstInbound(input.gateway, input.ref, d.clock.now());
    return this.#count(outcome);
  }

  async #route(
    user: User,
    input: InboundSms,
    say: (t: string | undefined, stopped?: boolean) => void,
  ): Promise<InboundOutcome> {
    const d = this.#d;
    let text = input.text;
    let target: Target;
    if (this.#isSingleNumber(input.to)) {
      ({ target, text } = await this.#atSingleNumber(user, text));
    } else {
      const addr = parseAddress(input.to, d.plan);
      if (addr.kind === 'foreign') return 'ignored';
      if (addr.kind === 'group') {
        if (!d.apps.get(addr.appNumber)) return this.#unknownApp(text, 'group', addr.appNumber, user, say);
        target = { group: await d.store.groups.byNumber(addr.appNumber, addr.groupNumber) };
      } else {
        const appNumber = addr.kind === 'app_only' ? addr.appNumber : undefined;
        if (appNumber !== undefined && !d.apps.get(appNumber))
          return this.#unknownApp(text, 'service', appNumber, user, say);
        target = { service: true, appNumber };
      }
    }
    const dest: Destination = 'service' in target ? 'service' : 'group';
    const cmd = parseCommand(text, dest);
    const req: CommandRequest = {
      actor: user,
      at: target,
      cmd,
      lang: textLanguage({ typed: cmd.lang, phone: user.phone }),
      via: 'sms',
      text,
      clientMsgId: input.ref ? `${input.gateway}:${input.ref}` : null,
    };
    const r = await d.commands.run(req);
    // With one number for every group, a text or command goes to the group this number last used:
    // a group it created, joined, wrote to or ran a command in.
    const used = usedGroup(r);
    if (d.plan.mode === 'single' && used) await d.store.users.setLastGroup(user.id, used.id);
    // HELP from someone not in the group gets the service help (the same for every group).
    const nonMemberHelp = r.kind === 'refused' && r.code === 'not_found' && cmd.kind === 'help';
    say(
      nonMemberHelp
        ? reply(r.lang, { kind: 'help_service' })
        : replyText(r, { address: (g) => d.commands.address(g), singleNumber: d.plan.mode === 'single' }),
      r.kind === 'stopped',
    );
    return outcomeOf(r);
  }

  /** A text to an app number that is not configured: only STOP and START still work there. */
  async #unknownApp(
    text: string,
    dest: Destination,
    app: string,
    user: User,
    say: (t: string | undefined, stopped?: boolean) => void,
  ): Promise<InboundOutcome> {
    const cmd = parseCommand(text, dest);
    const lang = textLanguage({ typed: cmd.lang, phone: user.phone });
    if (dest === 'group' && (cmd.kind === 'stop' || cmd.kind === 'start')) {
      const r = await this.#d.commands.run({
        actor: user,
        at: { service: true },
        cmd,
        lang,
        via: 'sms',
        text,
      });
      say(reply(lang, { kind: r.kind === 'stopped' ? 'stopped' : 'started' }), r.kind === 'stopped');
      return 'command';
    }
    say(reply(lang, { kind: 'unknown_app', app }));
    return dest === 'group' ? 'rejected' : 'command';
  }

  #isSingleNumber(to: string): boolean {
    const digits = (n: string) => n.replace(/^\+/, '');
    return this.#d.plan.mode === 'single' && digits(to.trim()) === digits(this.#d.plan.singleNumber);
  }

  /**
   * Single-number mode: `#<group number> text` picks a group; commands that name no group work as at the
   * service number; anything else goes to the group this number last received from or wrote to.
   */
  async #atSingleNumber(user: User, text: string): Promise<{ target: Target; text: string }> {
    const d = this.#d;
    const tag = parseGroupTag(text);
    if (tag) {
      for (const app of d.apps.list()) {
        const g = await d.store.groups.byNumber(app.appNumber, tag.groupNumber);
        if (g) return { target: { group: g }, text: tag.rest };
      }
      return { target: { group: undefined }, text: tag.rest };
    }
    const cmd = parseCommand(text, 'service');
    if (cmd.kind !== 'unknown' || user.lastGroupId === null) return { target: { service: true }, text };
    const last = await d.store.groups.byId(user.lastGroupId);
    return { target: last ? { group: last } : { service: true }, text };
  }

  #count(o: InboundOutcome): InboundOutcome {
    this.#d.metrics.inbound.inc({ outcome: o });
    return o;
  }
}

/** The group a result shows the sender used, if any (leaving or declining one is not using it). */
function usedGroup(r: CommandResult): GroupInfo | undefined {
  if (r.kind === 'left' || r.kind === 'declined') return undefined;
  return 'group' in r ? r.group : undefined;
}

/** The outcome metric and the simulator's answer for a result. */
function outcomeOf(r: CommandResult): InboundOutcome {
  if (r.kind === 'posted') return r.duplicate ? 'duplicate' : 'message';
  if (r.kind === 'empty') return 'ignored';
  if (r.kind === 'refused')
    return r.code === 'unknown_command' || r.code === 'unknown_app' ? 'command' : 'rejected';
  return 'command';
}
