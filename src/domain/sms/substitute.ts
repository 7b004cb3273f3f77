// Optional "smart substitution": swaps typographic characters for GSM-7 look-alikes so a message that
// only contains, say, a curly apostrophe is not forced into UCS-2 (70 instead of 160 chars a part).

// Only characters with a common, meaning-preserving ASCII look-alike. Deliberately absent: accented
// letters (changes words in many languages), CJK and fullwidth punctuation (belongs to CJK text, which
// is UCS-2 anyway), emoji and their joiners/variation selectors (ZWJ, U+FE0F), symbols like ©/™.
const MAP: Readonly<Record<string, string>> = {
  // Single quotes, primes and apostrophe look-alikes.
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u201b': "'",
  '\u2032': "'",
  '\u02bc': "'",
  '\u00b4': "'",
  '`': "'",
  // Double quotes and guillemets.
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u201f': '"',
  '\u2033': '"',
  '\u00ab': '"',
  '\u00bb': '"',
  '\u2039': '<',
  '\u203a': '>',
  // Hyphens, dashes and the minus sign.
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
  // Ellipsis and bullets.
  '\u2026': '...',
  '\u2022': '*',
  '\u2023': '*',
  '\u2043': '-',
  '\u2219': '*',
  // Spaces that render as a plain space (incl. tab, which GSM-7 lacks).
  '\t': ' ',
  '\u00a0': ' ',
  '\u2000': ' ',
  '\u2001': ' ',
  '\u2002': ' ',
  '\u2003': ' ',
  '\u2004': ' ',
  '\u2005': ' ',
  '\u2006': ' ',
  '\u2007': ' ',
  '\u2008': ' ',
  '\u2009': ' ',
  '\u200a': ' ',
  '\u202f': ' ',
  '\u205f': ' ',
  // Invisible characters: zero-width space, word joiner, BOM / zero-width no-break space.
  '\u200b': '',
  '\u2060': '',
  '\ufeff': '',
  // Unicode line/paragraph separators read as a line break.
  '\u2028': '\n',
  '\u2029': '\n',
};

// Escaped as \u{…} so no key can be read as regex syntax inside the character class.
const PATTERN = new RegExp(
  `[${Object.keys(MAP)
    .map((ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`)
    .join('')}]`,
  'gu',
);

/** Replaces typographic characters with GSM-7 look-alikes; everything else is left untouched. */
export function smartSubstitute(text: string): string {
  return text.replace(PATTERN, (ch) => MAP[ch] ?? ch);
}
