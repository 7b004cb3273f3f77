// The catalogue of every SMS text Qun sends in reply, in English and Chinese.
import type { Lang } from './command.ts';
import { en } from './replies-en.ts';
import { zh } from './replies-zh.ts';

export type MemberRole = 'owner' | 'admin' | 'member';

export type Reply =
  | { kind: 'created'; group: string; address: string }
  | { kind: 'help_service' }
  | { kind: 'help_group'; group: string; address: string }
  | { kind: 'invitation'; group: string; inviter: string; address: string }
  | { kind: 'added'; group: string; inviter: string; address: string }
  | {
      kind: 'invite_report';
      group: string;
      invited: string[];
      added: string[];
      already: string[];
      invalid: string[];
      refused_cap: string[];
      /** Numbers not invited because the per-number daily invitation limit was reached. */
      rate_limited?: string[];
      opted_out: string[];
      /** Numbers Qun does not text (high-cost types, regions not allowed). */
      not_allowed: string[];
      cap: number;
    }
  | { kind: 'joined'; group: string; address: string }
  | { kind: 'declined'; group: string }
  | { kind: 'no_invitation' }
  | { kind: 'removed'; group: string; phone: string }
  | { kind: 'removed_notice'; group: string }
  | { kind: 'not_member_phone'; phone: string }
  | { kind: 'admin_granted'; group: string; phone: string }
  | { kind: 'admin_notice'; group: string }
  | { kind: 'left'; group: string }
  | { kind: 'owner_notice'; group: string }
  | { kind: 'members'; group: string; members: { phone: string; role: MemberRole }[]; total: number }
  | { kind: 'renamed'; old: string; name: string }
  | { kind: 'not_allowed'; group: string; need: 'admin' | 'owner' }
  | { kind: 'no_such_group' }
  | { kind: 'unknown_command' }
  | { kind: 'unknown_app'; app: string }
  | { kind: 'too_long'; max: number }
  | { kind: 'invalid_name'; reason: 'missing_name' | 'name_too_long' }
  | { kind: 'invalid_phone'; input: string }
  | { kind: 'stopped' }
  | { kind: 'started' }
  | { kind: 'announce_only_admins'; group: string }
  | { kind: 'signin_code'; code: string; minutes: number }
  | { kind: 'reminder'; group: string; count: number; url: string }
  | { kind: 'confirm_needed'; group: string; code: string; action: string; minutes: number }
  | { kind: 'confirm_failed'; group: string }
  | { kind: 'confirm_locked'; group: string; minutes: number }
  | { kind: 'create_limit'; max: number }
  | { kind: 'group_full'; group: string; cap: number }
  | { kind: 'media_not_carried'; textSent: boolean }
  /** A member's delivery preference for the group, as now set. */
  | { kind: 'prefs_set'; group: string; setting: PrefsSetting }
  | { kind: 'invalid_quiet' }
  /** To the owner and admins, once per period: the group's SMS budget is spent. */
  | { kind: 'budget_spent'; group: string; period: 'day' | 'month' };

/** What a preference command changed, for its reply. */
export type PrefsSetting =
  | { what: 'sms'; mode: 'normal' | 'never' | 'urgent_only' | 'always' }
  | { what: 'mute'; on: boolean }
  | { what: 'digest'; on: boolean }
  | { what: 'quiet'; start: number; end: number; zone: string }
  | { what: 'quiet_off' };

export type ReplyKind = Reply['kind'];

// One renderer per kind; the mapped type makes a missing or mistyped template a compile error.
export type Templates = { [K in ReplyKind]: (r: Extract<Reply, { kind: K }>) => string };

const TABLES: Record<Lang, Templates> = { en, zh };

export function reply(lang: Lang, r: Reply): string {
  // Unknown languages fall back to English rather than throwing: a reply must always go out.
  const table = TABLES[lang] ?? en;
  const render = table[r.kind] as (r: Reply) => string;
  return render(r);
}
