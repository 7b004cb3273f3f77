// Reads Kannel's get-url parameters as bytes: %b carries the text exactly as received (UTF-16BE for
// UCS-2 texts), which a UTF-8 query parser would mangle, so the text is decoded by coding and charset.

/** The query of a raw request URL as name → bytes (first occurrence wins; '+' is a space). */
export function rawQuery(url: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const q = url.indexOf('?');
  if (q < 0) return out;
  for (const pair of url.slice(q + 1).split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = percentDecode(eq < 0 ? pair : pair.slice(0, eq)).toString('utf8');
    if (!out.has(name)) out.set(name, percentDecode(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return out;
}

function percentDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) bytes.push(0x20);
    else if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    // A raw non-ASCII character in a URL is not Kannel's doing; keep it as UTF-8.
    else {
      const cp = s.codePointAt(i)!;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes);
}

// Kannel names UCS-2 "UTF-16BE"; older set-ups say UCS-2, which WHATWG decoders do not know.
const ALIASES: Record<string, string> = { 'ucs-2': 'utf-16be', ucs2: 'utf-16be', 'ucs-2be': 'utf-16be' };

/** The text of an SMS from its bytes, Kannel's coding (%c: 0 GSM, 1 8-bit, 2 UCS-2) and charset (%C). */
export function decodeText(bytes: Buffer, coding: string | undefined, charset: string | undefined): string {
  const fallback = coding === '2' ? 'utf-16be' : coding === '1' ? 'latin1' : 'utf-8';
  const label = charset ? (ALIASES[charset.toLowerCase()] ?? charset) : fallback;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    decoder = new TextDecoder(fallback);
  }
  return decoder.decode(bytes);
}
