// The one rule for the language of a text Qun sends a person (replies, invitations, notices, codes,
// reminders): what they just typed, else what they chose, else what their number's region reads.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Lang } from './commands/command.ts';

// Regions whose numbers get Chinese when nothing else is known. Only Simplified Chinese texts exist,
// so Hong Kong, Macao and Taiwan (Traditional script, English widely used) stay on English for now.
const REGION_LANG: Readonly<Record<string, Lang>> = { CN: 'zh' };

export interface LanguageHints {
  /** The language of the command this text answers, when the recipient typed it (keyword or script). */
  typed?: Lang | undefined;
  /** The recipient's stored preference, if one is kept. */
  preferred?: Lang | null | undefined;
  /** The recipient's number, E.164. */
  phone: string;
}

/** The language of a text to one person. Pure: the same hints always give the same language. */
export function textLanguage(h: LanguageHints): Lang {
  if (h.typed) return h.typed;
  if (h.preferred) return h.preferred;
  return regionLanguage(h.phone);
}

/** The language a number's region reads, English when the region has none of ours (or no region). */
export function regionLanguage(phone: string): Lang {
  const region = parsePhoneNumberFromString(phone)?.country;
  return (region && REGION_LANG[region]) || 'en';
}
