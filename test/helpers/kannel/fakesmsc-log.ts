// Reads what fakesmsc printed ("Got message N: <from to type data>") back into whole texts: parts are
// joined by their concatenation UDH, and the bytes decoded as Kannel's fake SMSC wrote them.

export interface ReceivedText {
  from: string;
  to: string;
  text: string;
}

interface Part {
  from: string;
  to: string;
  kind: 'text' | 'data' | 'ucs-2' | 'udh';
  udh: Buffer;
  data: Buffer;
}

const LINE = /Got message \d+: <(.*)>\s*$/;
const MESSAGE = /^(\S+) (\S+) (text|data|ucs-2|udh) (.*)$/s;

/** Whole texts in the order they were completed (so the list only ever grows at the end). */
export function parseFakesmscLog(log: string): ReceivedText[] {
  const parts: Part[] = [];
  for (const line of log.split('\n')) {
    const body = LINE.exec(line)?.[1];
    if (body === undefined) continue;
    const m = MESSAGE.exec(body);
    const last = parts.at(-1);
    // The fake protocol is one line per text, so a newline in a plain text arrives as a second "message".
    if (!m) {
      if (last?.kind === 'text') last.data = Buffer.concat([last.data, Buffer.from(`\n${body}`)]);
      continue;
    }
    const [, from = '', to = '', kind, rest = ''] = m;
    if (kind === 'udh') {
      const [udh = '', , data = ''] = rest.split(' ');
      parts.push({ from, to, kind, udh: urlBytes(udh), data: urlBytes(data) });
    } else {
      const data = kind === 'text' ? Buffer.from(rest, 'utf8') : urlBytes(rest);
      parts.push({ from, to, kind: kind as Part['kind'], udh: Buffer.alloc(0), data });
    }
  }
  return assemble(parts);
}

function assemble(parts: Part[]): ReceivedText[] {
  const out: ReceivedText[] = [];
  const pending = new Map<string, { total: number; got: Map<number, Buffer> }>();
  for (const p of parts) {
    if (p.kind !== 'udh') {
      out.push({ from: p.from, to: p.to, text: decode(p.data, p.kind) });
      continue;
    }
    const c = concat(p.udh);
    if (!c) {
      out.push({ from: p.from, to: p.to, text: decode(p.data, 'udh') });
      continue;
    }
    const key = `${p.from}|${p.to}|${c.ref}|${c.total}`;
    const entry = pending.get(key) ?? { total: c.total, got: new Map<number, Buffer>() };
    pending.set(key, entry);
    entry.got.set(c.seq, p.data);
    if (entry.got.size === entry.total) {
      pending.delete(key);
      const bytes = Buffer.concat([...entry.got.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]));
      out.push({ from: p.from, to: p.to, text: decode(bytes, 'udh') });
    }
  }
  return out;
}

/** The concatenation element of a UDH: IEI 0x00 (8-bit reference) or 0x08 (16-bit). */
function concat(udh: Buffer): { ref: number; total: number; seq: number } | undefined {
  let i = 1;
  while (i + 1 < udh.length) {
    const iei = udh[i]!;
    const len = udh[i + 1]!;
    const v = udh.subarray(i + 2, i + 2 + len);
    if (iei === 0x00 && len === 3) return { ref: v[0]!, total: v[1]!, seq: v[2]! };
    if (iei === 0x08 && len === 4) return { ref: v.readUInt16BE(0), total: v[2]!, seq: v[3]! };
    i += 2 + len;
  }
  return undefined;
}

/**
 * Kannel keeps GSM texts as UTF-8 and UCS-2 texts as UTF-16BE. A "udh" line does not say which, so a
 * part that is not clean UTF-8 (UTF-16BE of Chinese is full of control bytes and stray continuation
 * bytes) is read as UTF-16BE.
 */
function decode(bytes: Buffer, kind: Part['kind']): string {
  if (kind === 'ucs-2') return new TextDecoder('utf-16be').decode(bytes);
  if (kind === 'data') return bytes.toString('latin1');
  try {
    const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (kind === 'text' || ![...s].some(isControl)) return s;
  } catch {}
  return new TextDecoder('utf-16be').decode(bytes);
}

/** C0 controls other than tab, newline and carriage return: never in a text, common in UTF-16BE bytes. */
const isControl = (c: string) => c.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(c);

function urlBytes(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '+') out.push(0x20);
    else if (s[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}
