// Names people give groups and themselves: control and format characters (bidi overrides, zero-width
// joiners used for spoofing, line breaks) are removed and whitespace collapsed before anything is stored.
export const MAX_NAME_CHARS = 40;

/** The cleaned name, or undefined when nothing printable is left or it is too long. */
export function cleanName(raw: string, max = MAX_NAME_CHARS): string | undefined {
  const name = raw
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (name.length === 0 || [...name].length > max) return undefined;
  return name;
}

// Separators people put inside a number: "+86 132-0013 (2101)". Removed before looking for digit runs.
const NUMBER_SEPARATORS = /[\s\-–—().·/\\_]/gu;
// Seven digits in a row is a phone number anywhere (local numbers start at 7 digits in most regions).
const PHONE_RUN = /\d{7,}/u;

/**
 * True when a display name reads as a phone number, or carries one: shown in place of a number it
 * would let a member pass as someone else ("+8613200132101" as a name).
 */
export function looksLikePhoneNumber(name: string): boolean {
  return PHONE_RUN.test(name.normalize('NFKC').replace(NUMBER_SEPARATORS, ''));
}

/**
 * How texts name a person: the display name and the number's last four digits, which a name cannot
 * fake (names may not hold a phone number, and the digits always come last); no name: the number.
 */
export function personLabel(u: { displayName: string | null; phone: string }): string {
  if (u.displayName === null) return u.phone;
  return `${u.displayName} (*${u.phone.slice(-4)})`;
}
