// Qun's client for Node 24 and browsers: typed /v1 HTTP helpers, and a live connection that orders, de-duplicates,
// acks and resumes per group. The server serves it (and group-streams.ts beside it) type-stripped under
// /assets/, so its only runtime import is that relative one.
import type { ClientFrame, ServerFrame, WireMessage } from '../domain/live-protocol.ts';
import { GroupStreams, randomId, type StreamFrame, splitFrames } from './group-streams.ts';
import { QunApiError, QunHttp } from './qun-http.ts';

export * from './qun-http.ts';
export type { ServerFrame, StreamFrame, WireMessage };
export { GroupStreams, randomId, splitFrames };
export type ReadyFrame = Extract<ServerFrame, { t: 'ready' }>;
export type SentFrame = Extract<ServerFrame, { t: 'sent' }>;
export type GroupFrame = Extract<ServerFrame, { t: 'group' }>;
export type ErrorFrame = Extract<ServerFrame, { t: 'error' }>;

export interface ConnectOptions {
  /** Ack each group cumulatively as messages arrive (default true); false makes a "frozen" client. */
  autoAck?: boolean;
  /** Tests: return false to withhold an ack (a later one still covers it). */
  ackFilter?: (groupId: number, seq: number) => boolean;
  /** Where each group's stream resumes (last seq already held); other groups start at the server's ackedSeq. */
  resume?: Record<number, number>;
}
type Events = {
  message: (m: WireMessage) => void;
  ready: (f: ReadyFrame) => void;
  group: (f: GroupFrame) => void;
  close: (e: { code: number; reason: string; reconnecting: boolean }) => void;
  error: (f: ErrorFrame) => void;
};
type Pending<T> = { resolve: (v: T) => void; reject: (e: Error) => void };

const GAP_RESYNC_MS = 3000;
const PING_MS = 25_000;

/** The HTTP API plus one live connection that reconnects with back-off and resumes where each group left off. */
export class QunClient extends QunHttp {
  readonly streams = new GroupStreams();
  #opts: ConnectOptions = {};
  #ws: WebSocket | undefined;
  #ready = false;
  #closed = true;
  #attempt = 0;
  #first: Pending<ReadyFrame> | undefined;
  #started: Promise<ReadyFrame> | undefined;
  #timers = new Set<ReturnType<typeof setTimeout>>();
  #gapTimer: ReturnType<typeof setTimeout> | undefined;
  #ping: ReturnType<typeof setInterval> | undefined;
  readonly #acked = new Map<number, number>();
  readonly #ackDirty = new Set<number>();
  readonly #sends = new Map<string, Pending<SentFrame> & { g: number; body: string }>();
  readonly #cmds = new Map<string, Pending<string> & { text: string; g?: number; written: boolean }>();
  readonly #on: { [K in keyof Events]: Set<Events[K]> } = {
    message: new Set(),
    ready: new Set(),
    group: new Set(),
    close: new Set(),
    error: new Set(),
  };

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof Events>(event: K, fn: Events[K]): () => void {
    this.#on[event].add(fn);
    return () => this.#on[event].delete(fn);
  }

  #emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const fn of this.#on[event]) {
      try {
        (fn as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (e) {
        // A failing listener must not stop the frames behind it; the error still surfaces as uncaught.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  get connected(): boolean {
    return this.#ready;
  }

  /** Opens the live connection; resolves on the first `ready`, rejects on a refused token or close(). */
  connect(opts: ConnectOptions = {}): Promise<ReadyFrame> {
    if (!this.token) return Promise.reject(new QunApiError(401, 'unauthenticated', 'sign in first'));
    if (!this.#closed && this.#started) return this.#started; // already connecting or connected
    this.#opts = opts;
    for (const [g, seq] of Object.entries(opts.resume ?? {})) this.streams.base(Number(g), seq);
    this.#closed = false;
    this.#started = new Promise((resolve, reject) => {
      this.#first = { resolve, reject };
      this.#open();
    });
    return this.#started;
  }

  #open(): void {
    const base = this.baseUrl || String((globalThis as { location?: { origin: string } }).location?.origin);
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/ws`);
    this.#ws = ws;
    ws.onopen = () => {
      // auth and resume in one WebSocket frame, so the server knows where to start before it sends anything
      const frames: ClientFrame[] = [{ t: 'auth', token: this.token ?? '' }];
      const groups = this.streams.snapshot();
      if (Object.keys(groups).length > 0) frames.push({ t: 'resume', groups });
      ws.send(frames.map((f) => JSON.stringify(f)).join('\n'));
    };
    ws.onmessage = (ev) => {
      if (ws !== this.#ws || typeof ev.data !== 'string') return;
      for (const f of splitFrames(ev.data)) this.#frame(f);
    };
    ws.onclose = (ev) => this.#onClose(ws, ev.code, ev.reason);
    ws.onerror = () => {}; // a close event always follows
  }

  #write(f: ClientFrame): boolean {
    if (this.#ws?.readyState !== 1) return false;
    this.#ws.send(JSON.stringify(f));
    return true;
  }

  #frame(f: ServerFrame): void {
    if (f.t === 'ready') this.#onReady(f);
    else if (f.t === 'msg' || f.t === 'skip') {
      const r = this.streams.accept(f);
      for (const m of this.streams.take()) this.#emit('message', m);
      if (r === 'gap') this.#armGapTimer();
      this.#queueAck(f.g);
    } else if (f.t === 'sent') {
      this.#sends.get(f.cid)?.resolve(f);
      this.#sends.delete(f.cid);
    } else if (f.t === 'cmd_result') {
      // Every cmd carries a rid; an answer without one goes to the oldest command waiting.
      const rid = f.rid ?? this.#cmds.keys().next().value;
      if (rid === undefined) return;
      this.#cmds.get(rid)?.resolve(f.text);
      this.#cmds.delete(rid);
    } else if (f.t === 'group') {
      if (f.event === 'joined') this.streams.base(f.g, f.lastSeq ?? 0);
      if (f.event === 'removed') this.streams.forget(f.g);
      this.#emit('group', f);
    } else if (f.t === 'error') {
      const err = new QunApiError(0, f.code, f.message);
      const waiting = (f.cid && this.#sends.get(f.cid)) || (f.rid && this.#cmds.get(f.rid));
      if (waiting) waiting.reject(err);
      else this.#emit('error', f);
      this.#sends.delete(f.cid ?? '');
      this.#cmds.delete(f.rid ?? '');
    }
  }

  #onReady(f: ReadyFrame): void {
    const member = new Set(f.groups.map((g) => g.g));
    for (const g of Object.keys(this.streams.snapshot()).map(Number))
      if (!member.has(g)) this.streams.forget(g);
    for (const g of f.groups) {
      this.streams.base(g.g, g.ackedSeq);
      this.#acked.set(g.g, g.ackedSeq);
      // What was received but never acked before the last connection dropped is acked now.
      if (this.streams.lastContiguous(g.g) > g.ackedSeq) this.#queueAck(g.g);
    }
    this.#ready = true;
    this.#attempt = 0;
    for (const [cid, s] of this.#sends) this.#write({ t: 'send', g: s.g, cid, body: s.body });
    for (const [rid, c] of this.#cmds) if (!c.written) c.written = this.#writeCmd(rid, c);
    this.#ping = setInterval(() => this.#write({ t: 'ping' }), PING_MS);
    (this.#ping as { unref?: () => void }).unref?.();
    this.#first?.resolve(f);
    this.#first = undefined;
    this.#emit('ready', f);
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    this.#ws = undefined;
    this.#ready = false;
    clearInterval(this.#ping);
    // A command that reached the server may have run: the caller decides whether to repeat it.
    for (const [rid, c] of this.#cmds) {
      if (!c.written) continue;
      c.reject(new QunApiError(0, 'disconnected', 'connection lost before the command answered'));
      this.#cmds.delete(rid);
    }
    const refused = code === 4001;
    const reconnecting = !this.#closed && !refused;
    this.#emit('close', { code, reason, reconnecting });
    if (refused) this.#shutdown(new QunApiError(401, 'unauthenticated', reason || 'signed out'));
    if (!reconnecting) return;
    // 1012: the node is restarting and others are up; come back at once (jittered, so a node's clients
    // do not all arrive in one instant). Otherwise back off.
    if (code === 1012) this.#attempt = 0;
    const ceiling = Math.min(10_000, 250 * 2 ** this.#attempt++);
    const t = setTimeout(
      () => {
        this.#timers.delete(t);
        if (!this.#closed) this.#open();
      },
      code === 1012 ? Math.random() * 250 : ceiling / 2 + (Math.random() * ceiling) / 2,
    );
    this.#timers.add(t);
  }

  /** Held frames past a gap the server never fills: reconnect, and resume from the last contiguous seq. */
  #armGapTimer(): void {
    if (this.#gapTimer) return;
    this.#gapTimer = setTimeout(() => {
      this.#gapTimer = undefined;
      if (this.streams.gaps().length > 0) this.#ws?.close(4000, 'resync');
    }, GAP_RESYNC_MS);
  }

  #queueAck(g: number): void {
    if (this.#opts.autoAck === false) return;
    if (this.#ackDirty.size === 0) queueMicrotask(() => this.#flushAcks());
    this.#ackDirty.add(g);
  }

  #flushAcks(): void {
    for (const g of this.#ackDirty) {
      const seq = this.streams.lastContiguous(g);
      if (this.#opts.ackFilter?.(g, seq) !== false) this.ack(g, seq);
    }
    this.#ackDirty.clear();
  }

  /** Acks a group cumulatively up to `seq` (default: its last contiguous seq). Returns whether a frame went out. */
  ack(g: number, seq = this.streams.lastContiguous(g)): boolean {
    if (seq <= (this.#acked.get(g) ?? 0)) return false;
    if (!this.#ready || !this.#write({ t: 'ack', g, seq })) return false;
    this.#acked.set(g, seq);
    return true;
  }

  /** Sends a message; after a reconnect it is sent again with the same cid until `sent` arrives. */
  send(groupId: number, body: string, cid: string = randomId()): Promise<SentFrame> {
    if (this.#closed) return Promise.reject(new QunApiError(0, 'closed', 'not connected'));
    return new Promise((resolve, reject) => {
      this.#sends.set(cid, { g: groupId, body, resolve, reject });
      if (this.#ready) this.#write({ t: 'send', g: groupId, cid, body });
    });
  }

  /** Runs an SMS-style command ("LIST", "HELP") and resolves with its reply text. */
  command(text: string, groupId?: number): Promise<string> {
    if (this.#closed) return Promise.reject(new QunApiError(0, 'closed', 'not connected'));
    return new Promise((resolve, reject) => {
      const rid = randomId();
      const c = { text, resolve, reject, written: false, ...(groupId ? { g: groupId } : {}) };
      this.#cmds.set(rid, c);
      if (this.#ready) c.written = this.#writeCmd(rid, c);
    });
  }

  #writeCmd(rid: string, c: { text: string; g?: number }): boolean {
    return this.#write(c.g ? { t: 'cmd', g: c.g, rid, text: c.text } : { t: 'cmd', rid, text: c.text });
  }

  /** Closes for good: no reconnect; waiting sends and commands are rejected. */
  close(): void {
    this.#shutdown(new QunApiError(0, 'closed', 'client closed'));
    const ws = this.#ws;
    if (ws && ws.readyState <= 1) ws.close(1000, 'bye');
    else this.#ws = undefined;
  }

  #shutdown(err: Error): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    clearTimeout(this.#gapTimer);
    this.#gapTimer = undefined;
    this.#first?.reject(err);
    this.#first = undefined;
    for (const s of this.#sends.values()) s.reject(err);
    for (const c of this.#cmds.values()) c.reject(err);
    this.#sends.clear();
    this.#cmds.clear();
  }
}
