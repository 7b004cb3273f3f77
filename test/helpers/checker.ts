// Delivery checker: accepted sends vs what each member received on any channel, reported as lost, duplicated, out of order, unexpected and leaked.
// A delivery is a live frame raised as new (no `via`), an inbox item shown without `via`, or a text; a copy marked
// with `via` is history, not a delivery. One kind of duplicate is told apart: the two-generals limit (see below).

export type Channel = 'live' | 'inbox' | 'sms';

/** Every workload message body carries a tag `w:<sender>:<n>`, so texts (which have no ids) can be matched. */
export const TAG_RE = /w:[A-Za-z0-9_-]+:\d+/;

export function tagOf(text: string): string | undefined {
  return TAG_RE.exec(text)?.[0];
}

export interface Accepted {
  tag: string;
  sender: string;
  groupId: number;
  cid?: string;
  id?: string;
  seq?: number;
}

export interface Received {
  member: string;
  channel: Channel;
  /** Undefined for texts; the checker maps them through the tag. */
  groupId?: number;
  seq?: number;
  id?: string;
  body: string;
  /** When the member saw it (ms since the epoch); live copies need it for the two-generals rule. */
  at?: number;
  /** Marked as already delivered by another channel (`"via":"sms"|"inbox"`): shown, not raised as new. */
  via?: string;
}

/**
 * Which accepted messages a member should get: per group, seqs in (afterSeq, untilSeq]. Anything at or before
 * afterSeq is not tracked; anything after untilSeq, or in a group without a window, is a leak.
 */
export interface Window {
  groupId: number;
  afterSeq?: number;
  untilSeq?: number;
}

export interface MemberReport {
  member: string;
  expected: number;
  received: number;
  lost: string[];
  duplicated: string[];
  outOfOrder: string[];
  unexpected: string[];
  leaked: string[];
  /**
   * Live + text duplicates the protocol cannot avoid: the client got the frame and acked it as the link died, the
   * ack never arrived, and the member was not back within the ack timeout. Counted apart, not as duplicated.
   */
  twoGenerals: string[];
  /** Copies marked `via` (history of a message delivered another way). */
  marked: number;
  byChannel: Record<Channel, number>;
}

export interface Report {
  members: MemberReport[];
  accepted: number;
  /** Tags stored more than once in the log (only known after learnLog). */
  storedTwice: string[];
  /** Holes in a group's seqs as the log returns them (only known after learnLog). */
  logGaps: string[];
  totals: {
    lost: number;
    duplicated: number;
    outOfOrder: number;
    unexpected: number;
    leaked: number;
    twoGenerals: number;
    marked: number;
  };
}

const CHANNELS: Channel[] = ['live', 'inbox', 'sms'];

export class DeliveryChecker {
  readonly #accepted = new Map<string, Accepted>();
  /** Sends whose answer never came: if received they are not "unexpected", and not expected either. */
  readonly #inDoubt = new Set<string>();
  readonly #byId = new Map<string, string>();
  readonly #received: Received[] = [];
  readonly #windows = new Map<string, Window[]>();
  readonly #storedTwice = new Set<string>();
  readonly #logGaps: string[] = [];
  readonly #links = new Map<string, { event: 'ready' | 'close'; at: number }[]>();
  readonly #starts: number[] = [];
  /** The server's QUN_LIVE_ACK_TIMEOUT; without it no duplicate is excused as two-generals. */
  ackTimeoutMs: number | undefined;

  /** A send got its 2xx / `sent`: from now on the message must reach every member in its window. */
  accept(a: Accepted): void {
    const prior = this.#accepted.get(a.tag);
    this.#accepted.set(a.tag, { ...prior, ...a });
    this.#inDoubt.delete(a.tag);
    if (a.id) this.#byId.set(a.id, a.tag);
  }

  /** A send was attempted but its outcome is unknown (the test gave up retrying). */
  attempted(tag: string): void {
    if (!this.#accepted.has(tag)) this.#inDoubt.add(tag);
  }

  /** Sends given up on without an answer: they may be stored (at most once), they need not be delivered. */
  get inDoubtCount(): number {
    return this.#inDoubt.size;
  }

  get acceptedCount(): number {
    return this.#accepted.size;
  }

  acceptedList(): Accepted[] {
    return [...this.#accepted.values()];
  }

  /** Declares a member and the group windows it should receive. */
  member(name: string, windows: Window[]): void {
    this.#windows.set(name, windows);
  }

  members(): string[] {
    return [...this.#windows.keys()];
  }

  receive(r: Received): void {
    this.#received.push(r);
  }

  /** A live client of the member got `ready` (is back) or lost its connection. */
  link(member: string, event: 'ready' | 'close', at = Date.now()): void {
    const l = this.#links.get(member) ?? [];
    l.push({ event, at });
    this.#links.set(member, l);
  }

  /** The server (re)started listening: a member live before it has one ack timeout from here to come back. */
  serverStarted(at = Date.now()): void {
    this.#starts.push(at);
  }

  /**
   * The two-generals rule: the live copy arrived at `liveAt`, its link then dropped (or had just), the
   * member's next `ready` came at least an ack timeout after the later of `liveAt` and the last server start
   * before it, and the other copy (text or inbox) came after the drop and no earlier than that deadline.
   * Only then may the server rightly have sent again what the client holds (slack: the server's clock
   * started when it wrote the frame).
   */
  #twoGenerals(member: string, liveAt: number | undefined, otherAt: number | undefined): boolean {
    const t = this.ackTimeoutMs;
    if (t === undefined || liveAt === undefined || otherAt === undefined || otherAt < liveAt) return false;
    const links = this.#links.get(member) ?? [];
    // The close that ended the link the copy came on. A freeze is marked when the test starts it, so
    // bytes the proxy had already forwarded can be read just after the mark (CI run 38: 1 ms after):
    // a close up to the slack before the copy still ends its link, unless the link came back since.
    const since = links.filter((l) => l.event === 'ready' && l.at <= liveAt).at(-1)?.at ?? 0;
    const close = links.find((l) => l.event === 'close' && l.at >= Math.max(since, liveAt - 250));
    if (!close || otherAt < close.at) return false;
    const back = links.find((l) => l.event === 'ready' && l.at >= close.at)?.at ?? Number.POSITIVE_INFINITY;
    const start = Math.max(liveAt, this.#starts.filter((s) => s <= back).at(-1) ?? 0);
    return back - start >= t - 250 && otherAt >= start + t - 250;
  }

  /**
   * Everything the checker knows about one member and message, for a failure's diagnostics: the accepted send,
   * each copy received (channel, time, via), the member's link events and the server's starts.
   */
  trace(member: string, tag: string) {
    return {
      accepted: this.#accepted.get(tag),
      received: this.#received.filter((x) => x.member === member && this.#tagOf(x) === tag),
      links: this.#links.get(member) ?? [],
      starts: [...this.#starts],
    };
  }

  /** Reads the group log (history as a member): fills in ids and seqs, and notes tags stored twice and holes. */
  learnLog(groupId: number, log: { seq: number; id?: string; body?: string; hidden?: boolean }[]): void {
    const seen = new Map<string, number>();
    const seqs = log.map((m) => m.seq).sort((a, b) => a - b);
    for (let i = 0; i < seqs.length; i++) {
      if (seqs[i] !== i + 1 + (seqs[0]! - 1)) {
        this.#logGaps.push(`g${groupId}: seq ${seqs[i]} at position ${i}`);
        break;
      }
    }
    for (const m of log) {
      const tag = m.body ? tagOf(m.body) : undefined;
      if (!tag) continue;
      seen.set(tag, (seen.get(tag) ?? 0) + 1);
      const a = this.#accepted.get(tag);
      if (a && m.id) {
        a.id ??= m.id;
        a.seq ??= m.seq;
        this.#byId.set(m.id, tag);
      }
    }
    for (const [tag, n] of seen) if (n > 1) this.#storedTwice.add(tag);
  }

  #tagOf(r: Received): string | undefined {
    return (r.id && this.#byId.get(r.id)) || tagOf(r.body);
  }

  #inWindow(member: string, a: Accepted): boolean {
    const ws = this.#windows.get(member) ?? [];
    return ws.some(
      (w) =>
        w.groupId === a.groupId &&
        (a.seq === undefined ||
          (a.seq > (w.afterSeq ?? 0) && (w.untilSeq === undefined || a.seq <= w.untilSeq))),
    );
  }

  report(): Report {
    const members: MemberReport[] = [];
    for (const member of this.#windows.keys()) {
      const expected = [...this.#accepted.values()].filter(
        (a) => a.sender !== member && this.#inWindow(member, a),
      );
      const got = new Map<string, Channel[]>();
      const r: MemberReport = {
        member,
        expected: expected.length,
        received: 0,
        lost: [],
        duplicated: [],
        outOfOrder: [],
        unexpected: [],
        leaked: [],
        twoGenerals: [],
        marked: 0,
        byChannel: { live: 0, inbox: 0, sms: 0 },
      };
      const liveAt = new Map<string, number | undefined>();
      const otherAt = new Map<string, number | undefined>();
      // Order is judged per channel and group, in the order things were rendered.
      const lastSeq = new Map<string, number>();
      for (const x of this.#received.filter((x) => x.member === member)) {
        // Before a window's start is history the test does not track (earlier scenarios on the same server).
        const w = this.#windows.get(member)?.find((w) => w.groupId === x.groupId);
        if (w && x.seq !== undefined && x.seq <= (w.afterSeq ?? 0)) continue;
        const tag = this.#tagOf(x);
        if (!tag) continue; // not workload traffic (codes, notices, invitations)
        const a = this.#accepted.get(tag);
        if (!a) {
          if (!this.#inDoubt.has(tag)) r.unexpected.push(`${tag} (${x.channel})`);
          continue;
        }
        if (a.sender === member) continue; // own messages echo to the sender's devices
        if (!this.#inWindow(member, a)) {
          r.leaked.push(`${tag} (${x.channel})`);
          continue;
        }
        if (x.via !== undefined) {
          r.marked++;
          continue;
        }
        if (x.channel === 'live' && !liveAt.has(tag)) liveAt.set(tag, x.at);
        if (x.channel !== 'live' && !otherAt.has(tag)) otherAt.set(tag, x.at);
        r.byChannel[x.channel]++;
        const channels = got.get(tag) ?? [];
        channels.push(x.channel);
        got.set(tag, channels);
        const seq = x.seq ?? a.seq;
        if (seq !== undefined && channels.length === 1) {
          const key = `${x.channel}:${a.groupId}`;
          const prev = lastSeq.get(key) ?? 0;
          if (seq < prev) r.outOfOrder.push(`${tag} seq ${seq} after ${prev} (${x.channel})`);
          lastSeq.set(key, Math.max(prev, seq));
        }
      }
      r.received = got.size;
      for (const [tag, channels] of got) {
        if (channels.length <= 1) continue;
        const excused =
          channels.length === 2 &&
          channels[0] === 'live' &&
          channels[1] !== 'live' &&
          this.#twoGenerals(member, liveAt.get(tag), otherAt.get(tag));
        if (excused) r.twoGenerals.push(`${tag} (${channels.join('+')})`);
        else r.duplicated.push(`${tag} (${channels.join('+')})`);
      }
      for (const a of expected) if (!got.has(a.tag)) r.lost.push(a.tag);
      members.push(r);
    }
    const sum = (k: 'lost' | 'duplicated' | 'outOfOrder' | 'unexpected' | 'leaked' | 'twoGenerals') =>
      members.reduce((n, m) => n + m[k].length, 0);
    return {
      members,
      accepted: this.#accepted.size,
      storedTwice: [...this.#storedTwice],
      logGaps: [...this.#logGaps],
      totals: {
        lost: sum('lost'),
        duplicated: sum('duplicated'),
        outOfOrder: sum('outOfOrder'),
        unexpected: sum('unexpected'),
        leaked: sum('leaked'),
        twoGenerals: sum('twoGenerals'),
        marked: members.reduce((n, m) => n + m.marked, 0),
      },
    };
  }
}

/** The report as a table, one row per member, plus the first few problem tags of each kind. */
export function formatReport(title: string, rep: Report, maxExamples = 5): string {
  const head = [
    'member',
    'expected',
    'received',
    'live',
    'inbox',
    'sms',
    'lost',
    'dup',
    'order',
    'unexp',
    'leak',
    '2gen',
    'via',
  ];
  const rows = rep.members.map((m) => [
    m.member,
    String(m.expected),
    String(m.received),
    ...CHANNELS.map((c) => String(m.byChannel[c])),
    String(m.lost.length),
    String(m.duplicated.length),
    String(m.outOfOrder.length),
    String(m.unexpected.length),
    String(m.leaked.length),
    String(m.twoGenerals.length),
    String(m.marked),
  ]);
  const t = rep.totals;
  rows.push([
    'TOTAL',
    String(rep.members.reduce((n, m) => n + m.expected, 0)),
    String(rep.members.reduce((n, m) => n + m.received, 0)),
    ...CHANNELS.map((c) => String(rep.members.reduce((n, m) => n + m.byChannel[c], 0))),
    String(t.lost),
    String(t.duplicated),
    String(t.outOfOrder),
    String(t.unexpected),
    String(t.leaked),
    String(t.twoGenerals),
    String(t.marked),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [
    `── ${title}: ${rep.accepted} accepted, ${rep.storedTwice.length} stored twice, ${rep.logGaps.length} log gaps`,
    line(head),
    ...rows.map(line),
  ];
  for (const m of rep.members) {
    for (const k of ['lost', 'duplicated', 'outOfOrder', 'unexpected', 'leaked', 'twoGenerals'] as const) {
      if (m[k].length > 0)
        out.push(
          `  ${m.member} ${k}: ${m[k].slice(0, maxExamples).join(', ')}${m[k].length > maxExamples ? ' …' : ''}`,
        );
    }
  }
  if (rep.storedTwice.length > 0)
    out.push(`  stored twice: ${rep.storedTwice.slice(0, maxExamples).join(', ')}`);
  if (rep.logGaps.length > 0) out.push(`  log gaps: ${rep.logGaps.slice(0, maxExamples).join(', ')}`);
  return out.join('\n');
}

/** Asserts a clean report; the message is the table, so a failure shows where and how many. */
export function assertClean(title: string, rep: Report, log = true): void {
  const text = formatReport(title, rep);
  if (log) console.log(text);
  const t = rep.totals;
  const bad =
    t.lost +
    t.duplicated +
    t.outOfOrder +
    t.unexpected +
    t.leaked +
    rep.storedTwice.length +
    rep.logGaps.length;
  if (bad > 0) throw new Error(`delivery check failed\n${text}`);
}
