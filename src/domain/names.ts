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
