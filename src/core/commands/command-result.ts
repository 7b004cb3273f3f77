// What a command asks (the request every ingress builds) and what it did (the structured result every
// ingress renders: SMS and the WebSocket `cmd` frame as reply texts, HTTP as JSON).
import type { Command, Lang } from '../../domain/commands/command.ts';
import type { PrefsSetting } from '../../domain/commands/replies.ts';
import type { GroupInfo, Membership } from '../../domain/group.ts';
import type { DeliveryPrefs } from '../../domain/policy.ts';
import type { StoredMessage, User } from '../../store/store.ts';
import type { InviteReport } from '../membership-service.ts';

/** Which ingress a command came through: only SMS senders can be spoofed, so only SMS confirms. */
export type Ingress = 'sms' | 'ws' | 'http';

export interface CommandRequest {
  actor: User;
  /**
   * Where the command is aimed. `group` undefined means the address or id named no group; a group
   * the actor is not in is refused the same way, so the answer never tells whether it exists.
   */
  at: { group: GroupInfo | undefined } | { service: true; appNumber?: string | undefined };
  cmd: Command;
  /** The language of replies to the actor, decided by domain/language.ts. Echoed in the result. */
  lang: Lang;
  via: Ingress;
  /**
   * The text as typed (SMS, WS). With it, a text that is not a command (and Y/N from a member, who has
   * nothing to answer) is posted to the group; without it (HTTP) accept/decline are strict.
   */
  text?: string | undefined;
  /** Idempotency id for a posted text (the gateway's message id). */
  clientMsgId?: string | null | undefined;
}

/** Why a command did nothing. Codes that are also HTTP error codes keep their catalogue name. */
export type Refusal =
  | { code: 'not_found' }
  | { code: 'forbidden'; group: GroupInfo; need: 'admin' | 'owner' }
  | { code: 'no_invitation' }
  | { code: 'member_cap'; group: GroupInfo }
  | { code: 'invalid_phone'; input: string }
  | { code: 'not_member'; input: string }
  | { code: 'invalid_name'; reason: 'missing_name' | 'name_too_long' }
  | { code: 'message_too_long'; max: number }
  | { code: 'invalid_characters' }
  | { code: 'unknown_command' }
  | { code: 'unknown_app'; app: string }
  | { code: 'confirm_failed'; group: GroupInfo }
  /** Too many wrong confirmation codes from this number for this group: told once, then silence. */
  | { code: 'confirm_locked'; group: GroupInfo; minutes: number }
  | { code: 'group_limit'; max: number }
  | { code: 'invalid_quiet' };

export type CommandOutcome =
  | { kind: 'created'; group: GroupInfo }
  | { kind: 'invited'; group: GroupInfo; report: InviteReport }
  | { kind: 'joined'; group: GroupInfo }
  | { kind: 'declined'; group: GroupInfo }
  | { kind: 'removed'; group: GroupInfo; target: User }
  | { kind: 'admin_granted'; group: GroupInfo; target: User }
  | { kind: 'left'; group: GroupInfo; newOwner: Membership | undefined }
  | { kind: 'members'; group: GroupInfo; members: Membership[] }
  | { kind: 'renamed'; old: string; group: GroupInfo }
  | { kind: 'help'; group?: GroupInfo | undefined }
  | { kind: 'stopped' }
  | { kind: 'started' }
  | { kind: 'posted'; group: GroupInfo; message: StoredMessage; duplicate: boolean; adminsOnly: boolean }
  /** An empty text at a group: nothing to do and nothing to say. */
  | { kind: 'empty' }
  /** A delivery preference for the group, as now stored. */
  | { kind: 'prefs_set'; group: GroupInfo; prefs: DeliveryPrefs; setting: PrefsSetting }
  | { kind: 'confirm_needed'; group: GroupInfo; code: string; action: string; minutes: number }
  /**
   * Deliberately no answer: a code is already pending (a repeat must not text another), or this number
   * is locked out for the group. Nothing changed.
   */
  | { kind: 'unanswered'; group: GroupInfo; reason: 'confirm_pending' | 'confirm_locked' }
  | ({ kind: 'refused' } & Refusal);

export type CommandResult = CommandOutcome & { lang: Lang };
