// One SMPP 3.4 transceiver link to the SMSC: connects, binds, keeps the link alive with enquire_link,
// reconnects with exponential back-off and jitter, pairs requests with their responses, and answers
// the SMSC's own requests (deliver_sm through the handler, one at a time, in arrival order).
import { randomBytes } from 'node:crypto';
import type { GatewayLog } from '../registry.ts';
import { hasResponse, type LibSession, makePdu, type Pdu, type PduFields, smpp, str } from './smpp-lib.ts';
import { ESME_RINVCMDID, ESME_ROK, ESME_RX_T_APPN, statusName } from './status.ts';

export interface LinkOptions {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType: string;
  addressRange: string;
  enquireLinkMs: number;
  reconnectMaxMs: number;
  responseTimeoutMs: number;
  log: GatewayLog;
}

/** The link could not carry a request: nothing was answered, so the request may or may not have gone. */
export class LinkError extends Error {
  override name = 'LinkError';
}

/**
 * Handles a deliver_sm; resolves with the command_status to answer (rejecting answers ESME_RX_T_APPN).
 * `session` names the bind it arrived on (see SmppLink.session).
 */
export type DeliverHandler = (pdu: Pdu, session: string) => Promise<number>;

interface Pending {
  resolve(p: Pdu): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

const RECONNECT_BASE_MS = 500;
const UNBIND_WAIT_MS = 2000;

export class SmppLink {
  readonly #o: LinkOptions;
  readonly #onDeliver: DeliverHandler;
  readonly #pending = new Map<number, Pending>();
  readonly #boundWaiters = new Set<(bound: boolean) => void>();
  #session: LibSession | undefined;
  /** A name for each successful bind, unique across restarts of Qun and of the SMSC. */
  #sessionId = '';
  readonly #sessionPrefix = randomBytes(4).toString('hex');
  #binds = 0;
  #bound = false;
  #stopping = false;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #enquireTimer: NodeJS.Timeout | undefined;
  #inbox: Promise<void> = Promise.resolve();
  #onBindRefused: ((why: string) => void) | undefined;
  /** Why the last connection or bind failed (start-up errors, logs). */
  lastError = '';

  constructor(o: LinkOptions, onDeliver: DeliverHandler) {
    this.#o = o;
    this.#onDeliver = onDeliver;
  }

  get bound(): boolean {
    return this.#bound;
  }

  get where(): string {
    return `${this.#o.host}:${this.#o.port}`;
  }

  /** Resolves once bound; rejects at once if the SMSC refuses the bind, or after timeoutMs. */
  start(timeoutMs: number): Promise<void> {
    this.#stopping = false;
    this.#connect();
    return new Promise((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.#boundWaiters.delete(onBound);
        this.#onBindRefused = undefined;
        if (!error) return resolve();
        // Leave no reconnect loop behind a start-up that failed.
        void this.stop().finally(() => reject(error));
      };
      const onBound = (bound: boolean) => {
        if (bound) return settle();
        // stop() was called while starting: it is already tearing the link down.
        clearTimeout(timer);
        this.#boundWaiters.delete(onBound);
        reject(new Error(`SMPP: stopped before binding to ${this.where}`));
      };
      const timer = setTimeout(
        () =>
          settle(
            new Error(
              `SMPP: not bound to ${this.where} after ${timeoutMs / 1000} s: ${this.lastError || 'no answer'}`,
            ),
          ),
        timeoutMs,
      );
      this.#boundWaiters.add(onBound);
      this.#onBindRefused = (why) => settle(new Error(`SMPP: bind to ${this.where} refused: ${why}`));
    });
  }

  /** Unbinds and closes; requests still waiting fail with a LinkError. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#enquireTimer);
    for (const w of [...this.#boundWaiters]) w(false);
    // A deliver_sm being handled finishes (and is answered) before the link goes.
    await this.#inbox;
    const session = this.#session;
    if (!session) return;
    if (this.#bound) await this.#send(session, makePdu('unbind'), UNBIND_WAIT_MS).catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (session.socket.destroyed) return resolve();
      session.socket.once('close', () => resolve());
      session.close();
      setTimeout(() => session.destroy(), UNBIND_WAIT_MS).unref();
    });
  }

  /** Waits (up to ms) until the link is bound. */
  whenBound(ms: number): Promise<boolean> {
    if (this.#bound) return Promise.resolve(true);
    if (this.#stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (bound: boolean) => {
        clearTimeout(timer);
        this.#boundWaiters.delete(done);
        resolve(bound);
      };
      const timer = setTimeout(() => done(false), ms);
      this.#boundWaiters.add(done);
    });
  }

  /**
   * The current bind's name. SMSCs number their message ids per run (a restarted SMSC may count from 0
   * again), so an id is only known to mean one text within the bind it was given in.
   */
  get session(): string {
    return this.#sessionId;
  }

  /**
   * Sends a request once bound (waiting up to the response timeout) and resolves with its response and
   * the name of the bind that carried it.
   */
  async request(command: string, fields: PduFields): Promise<{ resp: Pdu; session: string }> {
    const wait = this.#o.responseTimeoutMs;
    if (!(await this.whenBound(wait)) || !this.#session) {
      throw new LinkError(`not bound to ${this.where}${this.lastError ? `: ${this.lastError}` : ''}`);
    }
    const session = this.#sessionId;
    return { resp: await this.#send(this.#session, makePdu(command, fields), wait), session };
  }

  #send(session: LibSession, pdu: Pdu, timeoutMs: number): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      if (!session.send(pdu)) return reject(new LinkError('no response: link lost'));
      const seq = pdu.sequence_number;
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new LinkError('no response'));
      }, timeoutMs);
      this.#pending.set(seq, { resolve, reject, timer });
    });
  }

  #connect(): void {
    const session = smpp.connect({ host: this.#o.host, port: this.#o.port });
    this.#session = session;
    // Submits are small and latency-bound; Nagle would hold one back waiting for the previous ack.
    session.socket.setNoDelay(true);
    session.on('connect', () => this.#bind(session));
    session.on('pdu', (p: Pdu) => this.#onPdu(session, p));
    session.on('error', (e: Error) => {
      this.lastError = e.message;
      // A PDU the library cannot parse leaves its reader stuck: only a new connection recovers.
      session.destroy();
    });
    session.on('close', () => this.#onClose(session));
  }

  #bind(session: LibSession): void {
    const o = this.#o;
    const bind = makePdu('bind_transceiver', {
      system_id: o.systemId,
      password: o.password,
      system_type: o.systemType,
      // The library binds as SMPP 5.0 unless told otherwise; Qun speaks 3.4.
      interface_version: 0x34,
      address_range: o.addressRange,
    });
    this.#send(session, bind, o.responseTimeoutMs).then(
      (resp) => {
        if (resp.command_status !== ESME_ROK) {
          const why = statusName(resp.command_status);
          this.lastError = `bind refused: ${why}`;
          o.log.error({ smsc: this.where, status: why }, 'SMPP bind refused');
          this.#onBindRefused?.(why);
          session.destroy();
          return;
        }
        this.#bound = true;
        this.#sessionId = `${this.#sessionPrefix}-${++this.#binds}`;
        this.#attempt = 0;
        this.lastError = '';
        o.log.info({ smsc: this.where, systemId: o.systemId, peer: str(resp, 'system_id') }, 'SMPP bound');
        this.#keepAlive(session);
        for (const w of [...this.#boundWaiters]) w(true);
      },
      (e: Error) => {
        this.lastError = `bind: ${e.message}`;
        session.destroy();
      },
    );
  }

  #keepAlive(session: LibSession): void {
    clearInterval(this.#enquireTimer);
    this.#enquireTimer = setInterval(() => {
      this.#send(session, makePdu('enquire_link'), this.#o.responseTimeoutMs).catch(() => {
        this.#o.log.warn({ smsc: this.where }, 'SMPP enquire_link unanswered; dropping the link');
        session.destroy();
      });
    }, this.#o.enquireLinkMs);
    this.#enquireTimer.unref();
  }

  #onPdu(session: LibSession, p: Pdu): void {
    if (session !== this.#session) return;
    if (p.isResponse()) {
      const w = this.#pending.get(p.sequence_number);
      if (!w) return; // the answer to a request that already timed out
      this.#pending.delete(p.sequence_number);
      clearTimeout(w.timer);
      w.resolve(p);
      return;
    }
    if (p.command === 'enquire_link') {
      this.#answer(session, p, ESME_ROK);
      return;
    }
    if (p.command === 'unbind') {
      this.#answer(session, p, ESME_ROK);
      this.#bound = false;
      session.close(); // the close handler reconnects
      return;
    }
    if (p.command === 'deliver_sm') {
      // While stopping, new texts stay unanswered: the SMSC redelivers them to the next bind.
      if (this.#stopping) return;
      const name = this.#sessionId;
      this.#inbox = this.#inbox.then(async () => {
        // A receipt often arrives in the same read as its submit_sm_resp. Waiting one turn of the
        // event loop lets the submit's continuation (all microtasks) record the message id first.
        await new Promise((r) => setImmediate(r));
        if (session !== this.#session) return; // unanswered on a dead link: it will be redelivered
        const status = await this.#onDeliver(p, name).catch((e: unknown) => {
          this.#o.log.error({ err: e }, 'SMPP deliver_sm not accepted; the SMSC will redeliver');
          return ESME_RX_T_APPN;
        });
        this.#answer(session, p, status);
      });
      return;
    }
    if (p.command === 'unknown' || hasResponse(p.command)) this.#answer(session, p, ESME_RINVCMDID);
  }

  #answer(session: LibSession, p: Pdu, status: number): void {
    session.send(p.response({ command_status: status }));
  }

  #onClose(session: LibSession): void {
    if (session !== this.#session) return;
    const wasBound = this.#bound;
    this.#bound = false;
    this.#session = undefined;
    clearInterval(this.#enquireTimer);
    for (const w of this.#pending.values()) {
      clearTimeout(w.timer);
      w.reject(new LinkError('no response: link lost'));
    }
    this.#pending.clear();
    if (this.#stopping) return;
    if (wasBound) this.#o.log.warn({ smsc: this.where }, 'SMPP link lost; reconnecting');
    // Exponential back-off with jitter, so a fleet of Qun nodes does not reconnect in lock-step.
    const cap = Math.min(this.#o.reconnectMaxMs, RECONNECT_BASE_MS * 2 ** Math.min(this.#attempt, 16));
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => this.#connect(), cap * (0.5 + Math.random() * 0.5));
  }
}
