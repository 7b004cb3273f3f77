// The WebSocket `cmd` frame as an ingress of core/commands: parse the text as if texted to the group
// (with `g`) or the service number (without), run it, render the sender's reply as `cmd_result`.
// A group the member cannot see, or that does not exist, is a not_found error: never a guess.
import type { CommandService } from '../core/commands/command-service.ts';
import { replyText } from '../core/commands/reply-texts.ts';
import { parseCommand } from '../domain/commands/parse.ts';
import { textLanguage } from '../domain/language.ts';
import type { ServerFrame } from '../domain/live-protocol.ts';
import { QunError } from '../errors/catalogue.ts';
import type { Store, User } from '../store/store.ts';

export async function wsCommand(
  d: { commands: CommandService; store: Store },
  user: User,
  f: { g?: number | undefined; rid?: string | undefined; text: string },
): Promise<ServerFrame> {
  const at = f.g === undefined ? { service: true as const } : { group: await d.store.groups.byId(f.g) };
  const cmd = parseCommand(f.text, f.g === undefined ? 'service' : 'group');
  const lang = textLanguage({ typed: cmd.lang, phone: user.phone });
  const r = await d.commands.run({ actor: user, at, cmd, lang, via: 'ws', text: f.text });
  if (r.kind === 'refused' && (r.code === 'not_found' || r.code === 'invalid_characters'))
    throw new QunError(r.code);
  const text = replyText(r, { address: (g) => d.commands.address(g), singleNumber: false }) ?? '';
  return { t: 'cmd_result', ...(f.rid ? { rid: f.rid } : {}), text };
}
