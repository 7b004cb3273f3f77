// Fault-test workload: sign-in, group setup, senders that retry one client id until accepted, and recorders for live frames, inbox pulls and texts.
import fs from 'node:fs';
import WebSocket from 'ws';
import type { QunClient } from '../../src/client/qun-client.ts';
import type { WireMessage } from '../../src/domain/live-protocol.ts';
import type { Channel, DeliveryChecker } from './checker.ts';
import { type Api, eventually, SIGNIN_CODE, type TestServer } from './server.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Closes an in-process test server and removes its temporary data folder. */
export async function closeServer(s: TestServer | undefined): Promise<void> {
  if (!s) return;
  await s.close();
  fs.rmSync(s.dataDir, { recursive: true, force: true });
}

/** Every sign-in of a test comes from 127.0.0.1: lift the per-address cap on sign-in codes (SMS-pumping guard). */
export const SIGNIN_ENV: Record<string, string> = { QUN_SIGNIN_CODES_PER_ADDRESS_PER_HOUR: '100000' };

/** Valid Chinese mobile numbers in a block of its own per test file: +86139<block:4><i:4>. */
export function phone(block: number, i: number): string {
  return `+86139${String(block).padStart(4, '0')}${String(i).padStart(4, '0')}`;
}

export interface SimText {
  id: number;
  from: string;
  to: string;
  text: string;
  at: number;
}

/** Texts Qun sent to a simulated phone after a text id (the simulator pages at 1,000). */
export async function textsAfter(api: Api, p: string, afterId = 0): Promise<SimText[]> {
  const out: SimText[] = [];
  for (let after = afterId; ; ) {
    const r = await api.req('GET', `/v1/sim/sms?phone=${encodeURIComponent(p)}&after=${after}`);
    if (r.status !== 200) throw new Error(`sim read failed: ${r.status}`);
    const page = r.json.messages as SimText[];
    out.push(...page);
    if (page.length < 1000) return out;
    after = page.at(-1)!.id;
  }
}

/** Signs in by the SMS code flow, polling the simulated phone (works for child-process servers too). */
export async function signIn(api: Api, p: string): Promise<string> {
  const before = (await textsAfter(api, p)).at(-1)?.id ?? 0;
  const c = await api.req('POST', '/v1/auth/code', { phone: p });
  if (c.status !== 202) throw new Error(`code refused for ${p}: ${c.status} ${JSON.stringify(c.json)}`);
  const code = await eventually(
    async () => {
      for (const t of (await textsAfter(api, p, before)).reverse()) {
        // The code text itself: an invitation still in the queue also carries digits (its group address).
        const m = SIGNIN_CODE.exec(t.text);
        if (m) return m[1];
      }
      return undefined;
    },
    10_000,
    `sign-in code for ${p}`,
  );
  const t = await api.req('POST', '/v1/auth/token', { phone: p, code });
  if (t.status !== 200) throw new Error(`sign-in failed for ${p}: ${t.status}`);
  return t.json.token as string;
}

export interface GroupRef {
  id: number;
  address: string;
  name: string;
}

/** Creates a group whose invitations add members at once (invite policy `direct`). */
export async function createGroup(
  api: Api,
  ownerToken: string,
  name: string,
  appNumber?: string,
): Promise<GroupRef> {
  const g = await api.req('POST', '/v1/groups', appNumber ? { name, appNumber } : { name }, ownerToken);
  if (g.status !== 201) throw new Error(`create failed: ${g.status} ${JSON.stringify(g.json)}`);
  const p = await api.req('PATCH', `/v1/groups/${g.json.id}`, { invitePolicy: 'direct' }, ownerToken);
  if (p.status !== 200) throw new Error(`policy failed: ${p.status}`);
  return { id: g.json.id, address: g.json.address, name: g.json.name };
}

/** Adds phones to a `direct` group (100 per request, the route's limit). */
export async function addMembers(api: Api, token: string, groupId: number, phones: string[]): Promise<void> {
  for (let i = 0; i < phones.length; i += 100) {
    const r = await api.req(
      'POST',
      `/v1/groups/${groupId}/invitations`,
      { phones: phones.slice(i, i + 100) },
      token,
    );
    if (r.status !== 200) throw new Error(`invite failed: ${r.status} ${JSON.stringify(r.json)}`);
    const missing = phones.slice(i, i + 100).filter((p) => !r.json.added.includes(p));
    if (missing.length > 0) throw new Error(`not added: ${missing.join(', ')} ${JSON.stringify(r.json)}`);
  }
}

/** Opts a phone out of SMS (STOP to the service number): an app-only member whose fallback is the inbox. */
export async function optOut(api: Api, p: string, serviceNumber = '10658'): Promise<void> {
  await api.sms(p, serviceNumber, 'STOP');
}

/** Every message of a group as a member sees it (paged at 500). */
export async function history(
  api: Api,
  token: string,
  groupId: number,
): Promise<{ seq: number; id?: string; body?: string; cid?: string; hidden?: boolean }[]> {
  const out = [];
  for (let after = 0; ; ) {
    const r = await api.req(
      'GET',
      `/v1/groups/${groupId}/messages?after=${after}&limit=500`,
      undefined,
      token,
    );
    if (r.status !== 200) throw new Error(`history failed: ${r.status}`);
    out.push(...r.json.messages);
    if (!r.json.hasMore || r.json.messages.length === 0) return out;
    after = r.json.messages.at(-1).seq;
  }
}

/**
 * The channel that already delivered a message, when a live frame, history item or inbox item is marked with one
 * (`"via":"sms"|"inbox"`): shown in history, never raised as new. Undefined for a message raised as new.
 */
export function viaOf(m: object): string | undefined {
  const v = (m as { via?: unknown }).via;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Feeds a live client's rendered messages (what QunClient emits, after its own ordering and de-duplication), and
 * its link's ups and downs (the checker tells a two-generals duplicate from any other by them).
 */
export function recordLive(checker: DeliveryChecker, member: string, client: QunClient): WireMessage[] {
  const got: WireMessage[] = [];
  client.on('message', (m) => {
    got.push(m);
    const via = viaOf(m);
    checker.receive({
      member,
      channel: 'live',
      groupId: m.g,
      seq: m.seq,
      id: m.id,
      body: m.body,
      at: Date.now(),
      ...(via ? { via } : {}),
    });
  });
  client.on('ready', () => checker.link(member, 'ready'));
  client.on('close', () => checker.link(member, 'close'));
  return got;
}

// Each pull sends back the previous answer's cursor (`seen`), which is how the server learns that answer
// arrived; an answer lost on the way is simply shown again.
const lastSeen = new Map<string, string>();

/** One inbox pull, recorded; returns how many messages it carried. */
export async function pullInbox(
  api: Api,
  token: string,
  checker: DeliveryChecker,
  member: string,
): Promise<number> {
  const seen = lastSeen.get(token);
  const r = await api.req('GET', `/v1/inbox${seen ? `?seen=${seen}` : ''}`, undefined, token);
  if (r.status !== 200) throw new Error(`inbox failed: ${r.status}`);
  lastSeen.set(token, r.json.seen);
  let n = 0;
  for (const g of r.json.groups)
    for (const m of g.messages) {
      if (m.hidden) continue;
      const via = viaOf(m);
      // A marked item reached the member another way: the page lists it, it is not new (and not a delivery).
      if (!via) n++;
      checker.receive({
        member,
        channel: 'inbox',
        groupId: g.id,
        seq: m.seq,
        id: m.id,
        body: m.body,
        at: Date.now(),
        ...(via ? { via } : {}),
      });
    }
  return n;
}

/** Pulls an inbox until a pull comes back empty (it pages at 50 per group). */
export async function drainInbox(
  api: Api,
  token: string,
  checker: DeliveryChecker,
  member: string,
): Promise<void> {
  for (let i = 0; i < 1000; i++) if ((await pullInbox(api, token, checker, member)) === 0) return;
}

/** Reads each simulated phone's new texts into the checker (remembering where it stopped per phone). */
export class SmsCollector {
  readonly #api: () => Api;
  readonly #checker: DeliveryChecker;
  readonly #last = new Map<string, number>();
  readonly #seen = new Map<string, Set<number>>();
  readonly all = new Map<string, SimText[]>();

  constructor(api: () => Api, checker: DeliveryChecker) {
    this.#api = api;
    this.#checker = checker;
  }

  /** Starts after what the phone already holds (setup texts are not workload). */
  async mark(p: string): Promise<void> {
    this.#last.set(p, (await textsAfter(this.#api(), p)).at(-1)?.id ?? 0);
  }

  async collect(p: string, member: string = p): Promise<SimText[]> {
    // Read from the mark every time, not from the last id seen: with several nodes (or a PostgreSQL
    // sequence and concurrent senders) a text with a lower id can commit after one with a higher id.
    const seen = this.#seen.get(p) ?? new Set<number>();
    this.#seen.set(p, seen);
    const texts = (await textsAfter(this.#api(), p, this.#last.get(p) ?? 0)).filter((t) => !seen.has(t.id));
    for (const t of texts) seen.add(t.id);
    const all = this.all.get(p) ?? [];
    all.push(...texts);
    this.all.set(p, all);
    // `at` is when the simulated phone got it (the server's clock, the same machine's).
    for (const t of texts)
      this.#checker.receive({ member, channel: 'sms' as Channel, body: t.text, at: t.at });
    return texts;
  }
}

export interface Sender {
  /** Goes into tags and client ids: letters, digits, '-' and '_'. */
  name: string;
  /** The checker's name for the sending member (its own messages are not expected back); default `name`. */
  member?: string;
  groupId: number;
  /** Sends one message; resolves with the stored id and seq once accepted, throws if it may not have been. */
  send(body: string, cid: string): Promise<{ id?: string; seq?: number }>;
}

/** An HTTP sender (POST /v1/groups/{id}/messages with clientMsgId). */
export function httpSender(name: string, api: () => Api, token: string, groupId: number): Sender {
  return {
    name,
    groupId,
    async send(body, cid) {
      const r = await api().req('POST', `/v1/groups/${groupId}/messages`, { body, clientMsgId: cid }, token);
      if (r.status !== 201) throw new Error(`send ${cid}: ${r.status} ${JSON.stringify(r.json)}`);
      return { id: r.json.id, seq: r.json.seq };
    },
  };
}

/** A phone texting the group address through the simulator, with the text's gateway id as its client id. */
export function smsSender(name: string, api: () => Api, p: string, address: string, groupId: number): Sender {
  return {
    name,
    groupId,
    async send(body, cid) {
      const r = await api().req('POST', '/v1/sim/sms', { from: p, to: address, text: body, id: cid });
      if (r.status !== 202 || !['message', 'duplicate'].includes(r.json.outcome))
        throw new Error(`sms ${cid}: ${r.status} ${JSON.stringify(r.json)}`);
      return {};
    },
  };
}

/** A live client sending over its WebSocket (resent with the same cid after reconnects until `sent`). */
export function wsSender(name: string, client: QunClient, groupId: number): Sender {
  return {
    name,
    groupId,
    async send(body, cid) {
      const f = await client.send(groupId, body, cid);
      return { id: f.id, seq: f.seq };
    },
  };
}

/**
 * Sends `count` tagged messages, one at a time; a failed attempt is retried with the same client id until it is
 * accepted or `deadline` passes (then it is recorded as in doubt, not as accepted).
 */
/** A member of a fault run's group, as far as its senders need it. */
export interface SendingMember {
  phone: string;
  kind: string;
  group: GroupRef;
  token?: string;
  client?: QunClient;
}

/**
 * The fault runs' senders: per group, the owner over HTTP, an SMS-only member by text and a live
 * member on its socket, each sending until `opts` says stop.
 */
export function groupSenders(
  members: SendingMember[],
  api: () => Api,
  checker: DeliveryChecker,
  opts: { count: number; intervalMs: number; deadline: number; stop: () => boolean },
): Promise<number>[] {
  return [...new Set(members.map((m) => m.group))].flatMap((group, g) => {
    const of = (k: string) => members.find((m) => m.group === group && m.kind === k)!;
    return [
      runSender(
        { ...httpSender(`h${g}`, api, of('owner').token!, group.id), member: of('owner').phone },
        checker,
        opts,
      ),
      runSender(
        { ...smsSender(`s${g}`, api, of('sms').phone, group.address, group.id), member: of('sms').phone },
        checker,
        opts,
      ),
      runSender(
        { ...wsSender(`w${g}`, of('live').client!, group.id), member: of('live').phone },
        checker,
        opts,
      ),
    ];
  });
}

export async function runSender(
  s: Sender,
  checker: DeliveryChecker,
  o: { count: number; intervalMs?: number; deadline?: number; stop?: () => boolean; pad?: number },
): Promise<number> {
  let sent = 0;
  for (let n = 1; n <= o.count && !o.stop?.(); n++) {
    const tag = `w:${s.name}:${n}`;
    const cid = `${s.name}-${n}`;
    const body = `${tag} ${'.'.repeat(o.pad ?? 0)}`.trim();
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await s.send(body, cid);
        checker.accept({ tag, sender: s.member ?? s.name, groupId: s.groupId, cid, ...r });
        sent++;
        break;
      } catch (e) {
        if (Date.now() > (o.deadline ?? Number.POSITIVE_INFINITY)) {
          checker.attempted(tag);
          return sent;
        }
        if (attempt > 2000) throw e;
        await sleep(50 + Math.random() * 100);
      }
    }
    if (o.intervalMs) await sleep(o.intervalMs * (0.5 + Math.random()));
  }
  return sent;
}

/** A raw `ws` client: every server frame (split on "\n"), the close code, and an Origin of our choosing. */
export class RawWs {
  readonly ws: WebSocket;
  // biome-ignore lint/suspicious/noExplicitAny: server frames are checked field by field by the tests
  readonly frames: any[] = [];
  /** How many protocol frames each WebSocket frame carried (the server coalesces per event-loop turn). */
  readonly batches: number[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The HTTP status when the upgrade was refused. */
  refused: number | undefined;
  readonly opened: Promise<boolean>;

  constructor(baseUrl: string, opts: { origin?: string; maxPayload?: number } = {}) {
    this.ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws`, {
      ...(opts.origin ? { origin: opts.origin } : {}),
      ...(opts.maxPayload ? { maxPayload: opts.maxPayload } : {}),
    });
    this.ws.on('message', (d) => {
      const lines = d
        .toString()
        .split('\n')
        .filter((l) => l.trim());
      this.batches.push(lines.length);
      for (const line of lines) this.frames.push(JSON.parse(line));
    });
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('unexpected-response', (_req, res) => {
        this.refused = res.statusCode;
        res.resume();
        resolve(false);
      });
      this.ws.once('close', () => resolve(false));
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  send(...frames: object[]): void {
    this.ws.send(frames.map((f) => JSON.stringify(f)).join('\n'));
  }

  /** Opens, sends auth (and any frames after it in the same WebSocket frame), waits for `ready`. */
  // biome-ignore lint/suspicious/noExplicitAny: the ready frame
  async auth(token: string, ...after: object[]): Promise<any> {
    if (!(await this.opened)) throw new Error(`upgrade refused: ${this.refused}`);
    this.send({ t: 'auth', token }, ...after);
    return this.waitFor((f) => f.t === 'ready', 5000, 'ready');
  }

  // biome-ignore lint/suspicious/noExplicitAny: see frames
  waitFor(pred: (f: any) => boolean, ms = 5000, what = 'frame'): Promise<any> {
    return eventually(() => this.frames.find(pred), ms, what);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN)
      this.ws.terminate();
  }
}
