// The one rule for the language of a text Qun sends a person (replies, invitations, notices, codes,
// reminders): what they just typed, else what they chose, else what their number's region reads.
import {
  type CountryCode,
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';
import type { Lang } from './commands/command.ts';

// Regions whose numbers get Chinese when nothing else is known. Only Simplified Chinese texts exist,
// so Hong Kong, Macao and Taiwan (Traditional script, English widely used) stay on English for now.
const REGION_LANG: Readonly<Partial<Record<CountryCode, Lang>>> = { CN: 'zh' };

/**
 * Regions of REGION_LANG whose calling code no other region shares (+86 is China's alone): a number that
 * starts with it is theirs without a parse. Calling codes are prefix-free, so the prefix cannot belong to
 * a longer code. libphonenumber's full parse costs 20–100 µs a number, and a reminder pass asks for the
 * language of every due member (1,000 in one pass).
 */
const SOLE_CODE: readonly { number: RegExp; lang: Lang }[] = (
  Object.entries(REGION_LANG) as [CountryCode, Lang][]
)
  .map(([region, lang]) => ({ code: getCountryCallingCode(region), lang }))
  .filter(({ code }) => getCountries().filter((c) => getCountryCallingCode(c) === code).length === 1)
  .map(({ code, lang }) => ({ number: new RegExp(`^\\+${code}\\d{4,14}$`), lang }));

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
  for (const c of SOLE_CODE) if (c.number.test(phone)) return c.lang;
  const region = parsePhoneNumberFromString(phone)?.country;
  return (region && REGION_LANG[region]) || 'en';
}
