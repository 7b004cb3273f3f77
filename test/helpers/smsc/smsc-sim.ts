// The test SMSC itself: an SMPP 3.4 server on the `smpp` package that binds ESMEs, answers submit_sm
// (with configurable ids, receipts and faults), records everything, and sends MO texts on request.
import { performance } from 'node:perf_hooks';
import {
  bytes,
  type LibServer,
  type LibSession,
  makePdu,
  num,
  type Pdu,
  type PduFields,
  smpp,
  str,
} from '../../../src/channels/sms/gateways/smpp/smpp-lib.ts';
import { parseUdh } from '../../../src/domain/sms/reassemble.ts';
import { decodeText } from '../../../src/domain/sms/segments.ts';
import { type ConfigPatch, DEFAULT_CONFIG, type SmscConfig, type Stats } from './protocol.ts';
import { Records } from './smsc-records.ts';

const E = smpp.errors;
const now = () => performance.timeOrigin + performance.now();

export class SmscSim {
  config: SmscConfig = structuredClone(DEFAULT_CONFIG);
  readonly records = new Records();
  readonly server: LibServer;
  readonly #bound = new Set<LibSession>();
  #sessionIds = new WeakMap<LibSession, number>();
  #nextSession = 1;
  #nextId = 1;
  #enquireLinks = 0;
  #ignored = 0;

  constructor() {
    this.server = smpp.createServer({}, (session) => this.#accept(session));
  }

  configure(patch: ConfigPatch): void {
    const c = this.config as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) {
      c[k] = v && typeof v === 'object' && !Array.isArray(v) ? { ...(c[k] as object), ...v } : v;
    }
  }

  stats(): Stats {
    return {
      sessions: this.server.sessions.length,
      bound: this.#bound.size,
      enquireLinks: this.#enquireLinks,
      ignored: this.#ignored,
      deliverResponses: this.records.deliverResponses,
    };
  }

  /** Cuts every connection at once, answered or not. */
  drop(): void {
    for (const s of [...this.server.sessions]) s.destroy();
  }

  /** A restart: every connection cut and the id counter back to 0, so earlier ids come round again. */
  restart(): void {
    this.drop();
    this.#bound.clear();
    this.#nextId = 0;
  }

  /** The most recently bound session, waiting a little for one. */
  async session(waitMs = 5_000): Promise<LibSession> {
    const end = Date.now() + waitMs;
    for (;;) {
      const s = [...this.#bound].at(-1);
      if (s) return s;
      if (Date.now() > end) throw new Error('no ESME is bound');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a request to the ESME and resolves with its response status (or rejects after 10 s). */
  request(session: LibSession, command: string, fields: PduFields): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command}: no response`)), 10_000);
      const sent = session.send(makePdu(command, fields), (resp) => {
        clearTimeout(timer);
        if (command === 'deliver_sm') {
          const k = String(resp.command_status);
          this.records.deliverResponses[k] = (this.records.deliverResponses[k] ?? 0) + 1;
        }
        resolve(resp.command_status);
      });
      if (!sent) {
        clearTimeout(timer);
        reject(new Error(`${command}: link closed`));
      }
    });
  }

  #accept(session: LibSession): void {
    this.#sessionIds.set(session, this.#nextSession++);
    session.socket.setNoDelay(true);
    session.on('error', () => session.destroy());
    session.on('close', () => this.#bound.delete(session));
    session.on('pdu', (p: Pdu) => {
      if (p.isResponse()) return;
      if (this.config.faults.silent) {
        this.#ignored++;
        return;
      }
      if (p.command === 'enquire_link') this.#enquireLinks++;
      if (p.command.startsWith('bind_')) return this.#bind(session, p);
      if (p.command === 'enquire_link') return void session.send(p.response());
      if (p.command === 'unbind') {
        this.#bound.delete(session);
        session.send(p.response());
        return void setTimeout(() => session.close(), 10);
      }
      if (!this.#bound.has(session))
        return void session.send(p.response({ command_status: E.ESME_RINVBNDSTS }));
      if (p.command === 'submit_sm') return this.#submit(session, p);
      session.send(p.response({ command_status: E.ESME_RINVCMDID }));
    });
  }

  #bind(session: LibSession, p: Pdu): void {
    const c = this.config;
    let status = c.bindStatus;
    if (!status && str(p, 'system_id') !== c.systemId) status = E.ESME_RINVSYSID!;
    if (!status && str(p, 'password') !== c.password) status = E.ESME_RINVPASWD!;
    this.records.binds.push({
      at: now(),
      command: p.command,
      systemId: str(p, 'system_id'),
      interfaceVersion: num(p, 'interface_version'),
      status,
    });
    if (status) return void session.send(p.response({ command_status: status }));
    session.send(p.response({ system_id: 'qun-test-smsc' }));
    this.#bound.add(session);
  }

  #messageId(): string {
    const { format, width, offset } = this.config.ids;
    const n = offset + this.#nextId++;
    const s =
      format === 'decimal' ? String(n) : format === 'hex' ? n.toString(16) : n.toString(16).toUpperCase();
    return s.padStart(width, '0');
  }

  #submit(session: LibSession, p: Pdu): void {
    const c = this.config;
    const raw = bytes(p, 'short_message');
    const esm = num(p, 'esm_class');
    const dc = num(p, 'data_coding');
    const udh = esm & 0x40 ? parseUdh(raw) : null;
    const body = udh ? udh.body : raw;
    const dest = str(p, 'destination_addr');
    const roll = Math.random() * 100;
    const forced = c.faults.perDest[dest];
    let status = 0;
    if (typeof forced === 'number') status = forced;
    else if (forced === undefined && roll < c.faults.throttlePct) status = E.ESME_RTHROTTLED!;
    else if (forced === undefined && roll < c.faults.throttlePct + c.faults.queueFullPct)
      status = E.ESME_RMSGQFUL!;
    else if (forced === undefined && roll < c.faults.throttlePct + c.faults.queueFullPct + c.faults.sysErrPct)
      status = E.ESME_RSYSERR!;
    const unanswered = status === 0 && (forced === 'drop' || Math.random() * 100 < c.faults.dropPct);
    const messageId = status === 0 ? this.#messageId() : null;
    this.records.submit({
      at: now(),
      session: this.#sessionIds.get(session) ?? 0,
      source: str(p, 'source_addr'),
      sourceTon: num(p, 'source_addr_ton'),
      sourceNpi: num(p, 'source_addr_npi'),
      dest,
      destTon: num(p, 'dest_addr_ton'),
      destNpi: num(p, 'dest_addr_npi'),
      esmClass: esm,
      dataCoding: dc,
      registeredDelivery: num(p, 'registered_delivery'),
      udh: udh ? { ref: udh.ref, total: udh.total, seq: udh.seq } : null,
      bodyHex: body.toString('hex'),
      octets: raw.length,
      text:
        dc === 8 ? decodeText(body, 'ucs2') : dc === 0 ? decodeText(body, 'gsm7') : body.toString('latin1'),
      status,
      messageId,
      unanswered,
    });
    if (unanswered) return;
    const wantsReceipt =
      messageId !== null &&
      c.receipts.mode !== 'off' &&
      c.receipts.perDest[dest] !== 'none' &&
      ((num(p, 'registered_delivery') & 1) === 1 || c.receipts.allParts);
    // 'before': the receipt goes at once, ahead of a response that respondDelayMs may hold back.
    if (wantsReceipt && c.receipts.mode === 'before') this.#receipt(session, p, messageId);
    const respond = () => {
      const resp = status ? p.response({ command_status: status }) : p.response({ message_id: messageId });
      session.send(resp);
      if (wantsReceipt && c.receipts.mode === 'after') {
        const send = () => this.#receipt(session, p, messageId);
        if (c.receipts.delayMs > 0) setTimeout(send, c.receipts.delayMs);
        else send();
      }
    };
    if (c.respondDelayMs > 0) setTimeout(respond, c.respondDelayMs);
    else respond();
  }

  /** A delivery receipt for an accepted part, as SMPP 3.4 Appendix B text (and TLVs if configured). */
  #receipt(session: LibSession, submit: Pdu, messageId: string): void {
    const r = this.config.receipts;
    let id =
      r.idCase === 'upper'
        ? messageId.toUpperCase()
        : r.idCase === 'lower'
          ? messageId.toLowerCase()
          : messageId;
    id = '0'.repeat(r.idZeros) + id;
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(2, 12);
    const forced = r.perDest[str(submit, 'destination_addr')];
    const stat = forced ?? r.stat;
    const err = forced === undefined ? r.err : forced === 'DELIVRD' ? '000' : '901';
    const text = `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} submit date:${stamp} done date:${stamp} stat:${stat} err:${err} text:`;
    const states: Record<string, number> = {
      DELIVRD: 2,
      EXPIRED: 3,
      DELETED: 4,
      UNDELIV: 5,
      ACCEPTD: 6,
      UNKNOWN: 7,
      REJECTD: 8,
    };
    const fields: PduFields = {
      source_addr_ton: num(submit, 'dest_addr_ton'),
      source_addr_npi: num(submit, 'dest_addr_npi'),
      source_addr: str(submit, 'destination_addr'),
      dest_addr_ton: num(submit, 'source_addr_ton'),
      dest_addr_npi: num(submit, 'source_addr_npi'),
      destination_addr: str(submit, 'source_addr'),
      esm_class: 0x04,
      data_coding: 0,
      short_message: Buffer.from(text, 'latin1'),
      ...(r.tlvs ? { receipted_message_id: id, message_state: states[stat] ?? 7 } : {}),
    };
    for (let i = 0; i <= r.duplicates; i++)
      this.request(session, 'deliver_sm', fields).catch(() => undefined);
  }
}
