// The HTTP routes as an ingress of core/commands: run the command the route stands for, and turn a
// refusal into the catalogue error it is (rendered in one place, src/http/errors.ts).
import type { CommandRequest, CommandResult, Refusal } from '../core/commands/command-result.ts';
import type { CommandService } from '../core/commands/command-service.ts';
import type { Command } from '../domain/commands/command.ts';
import { textLanguage } from '../domain/language.ts';
import { type ErrorCode, QunError } from '../errors/catalogue.ts';
import type { User } from '../store/store.ts';

/** The result of a command that did something; a refusal is thrown as its HTTP error. */
export type Done = Exclude<CommandResult, { kind: 'refused' }>;

export async function httpCommand(
  commands: CommandService,
  actor: User,
  at: CommandRequest['at'],
  cmd: Command,
): Promise<Done> {
  const r = await commands.run({ actor, at, cmd, lang: textLanguage({ phone: actor.phone }), via: 'http' });
  if (r.kind === 'refused') throw refusalError(r);
  return r;
}

const CODES: Record<Refusal['code'], ErrorCode> = {
  not_found: 'not_found',
  forbidden: 'forbidden',
  no_invitation: 'no_invitation',
  member_cap: 'member_cap',
  invalid_phone: 'invalid_phone',
  // A number that is not in the group: the same answer as a group you may not see.
  not_member: 'not_found',
  invalid_name: 'invalid_name',
  message_too_long: 'message_too_long',
  invalid_characters: 'invalid_characters',
  unknown_command: 'bad_request',
  unknown_app: 'not_found',
  confirm_failed: 'bad_request',
  confirm_locked: 'rate_limited',
  group_limit: 'rate_limited',
  invalid_quiet: 'invalid_preferences',
};

function refusalError(r: Refusal): QunError {
  if (r.code === 'forbidden')
    return new QunError(
      'forbidden',
      r.need === 'owner' ? 'Only the owner may do that.' : 'Only admins may do that.',
    );
  if (r.code === 'unknown_app') return new QunError('not_found', `no app with number ${r.app}`);
  if (r.code === 'group_limit')
    return new QunError('rate_limited', `At most ${r.max} new groups a day (QUN_GROUPS_PER_PHONE_PER_DAY).`);
  return new QunError(CODES[r.code]);
}
