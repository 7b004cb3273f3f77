// deliver_sm from the SMSC: receipts go to hooks.receipt under the text's ref; mobile-originated texts
// are decoded, reassembled and handed to hooks.inbound. The returned status is the deliver_sm_resp, so
// the SMSC is acknowledged only once the core has the text durably (a rejection redelivers it).
import { createHash } from 'node:crypto';
import type { Clock } from '../../../../core/clock.ts';
import { Reassembler } from '../../../../domain/sms/reassemble.ts';
import type { GatewayHooks } from '../../gateway.ts';
import type { GatewayLog } from '../registry.ts';
import { BoundedMap } from './bounded-map.ts';
import { type MoPart, messageBody, readMo } from './mo-decode.ts';
import type { PartRefs } from './part-refs.ts';
import { readReceipt } from './receipt-text.ts';
import { has, num, type Pdu, str } from './smpp-lib.ts';
import { ESME_ROK } from './status.ts';

const ESM_TYPE_MASK = 0x3c;
const ESM_SMSC_RECEIPT = 0x04;

// Parts of a long text wait this long for the rest; then what arrived is delivered rather than lost.
const PARTIAL_AFTER_MS = 60_000;
// A text seen again within this window (same sender, address and words) is the SMSC redelivering one
// whose acknowledgement was lost, and keeps its first ref. SMPP 3.4 gives MO texts no id of their own,
// and sequence numbers restart with every bind, so they cannot serve. The cost: the same words sent
// twice to the same group within two minutes count once.
const REDELIVERY_WINDOW_MS = 120_000;
// A long text the core refused stays here until the SMSC redelivers its last part.
const REFUSED_KEEP_MS = 600_000;

export interface InboundDeps {
  hooks: GatewayHooks;
  log: GatewayLog;
  clock: Clock;
  parts: PartRefs;
}

export class SmppInbound {
  readonly #d: InboundDeps;
  readonly #reassembler = new Reassembler();
  readonly #recent = new BoundedMap<string, { ref: string; at: number; done: boolean }>(10_000);
  readonly #refused = new Map<string, { from: string; to: string; text: string; at: number }>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> = Promise.resolve();

  constructor(deps: InboundDeps) {
    this.#d = deps;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#sweeping = this.#sweeping.then(() => this.#sweep());
    }, 5_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#sweeping;
    if (this.#reassembler.pending > 0)
      this.#d.log.warn({ sets: this.#reassembler.pending }, 'SMPP stopping with incomplete long texts held');
  }

  /** Handles one deliver_sm that arrived on bind `session`; resolves with the status to answer. Rejects if a hook did. */
  async handle(p: Pdu, session = ''): Promise<number> {
    const type = num(p, 'esm_class') & ESM_TYPE_MASK;
    if (type === ESM_SMSC_RECEIPT || has(p, 'receipted_message_id')) return this.#receipt(p, session);
    // SME acknowledgements and intermediate notifications say nothing Qun records.
    if (type !== 0) return ESME_ROK;
    return this.#mo(readMo(p));
  }

  async #receipt(p: Pdu, session: string): Promise<number> {
    const r = readReceipt({
      text: messageBody(p).toString('latin1'),
      receiptedId: has(p, 'receipted_message_id') ? str(p, 'receipted_message_id') : undefined,
      messageState: has(p, 'message_state') ? num(p, 'message_state') : undefined,
    });
    if (!r) {
      this.#d.log.warn({ from: str(p, 'source_addr') }, 'SMPP receipt without a message id; ignored');
      return ESME_ROK;
    }
    // ACCEPTD and ENROUTE leave the text submitted (see receipt-text.ts and docs/gateways.md).
    if (!r.final) return ESME_ROK;
    const part = this.#d.parts.lookup(r.id, session);
    // An unknown id is passed on as written: it is the text's own ref when the receipt beat its
    // submit_sm_resp, and the core holds such receipts until the ref is known.
    if (!part) {
      await this.#d.hooks.receipt({ ref: r.id, delivered: r.delivered, detail: r.detail, session });
      return ESME_ROK;
    }
    const text = part.text;
    if (!r.delivered) {
      // Any failed part fails the text. Before the last part is accepted the text has no ref yet;
      // the gateway reports the failure once it has one.
      text.failure ??= r.detail;
      if (text.ref)
        await this.#d.hooks.receipt({
          ref: text.ref,
          delivered: false,
          detail: r.detail,
          session,
          submittedHere: true,
        });
      return ESME_ROK;
    }
    // "Delivered" is the last part's word (the one receipts are asked for), unless a part failed.
    if (part.last && text.ref && !text.failure)
      await this.#d.hooks.receipt({
        ref: text.ref,
        delivered: true,
        detail: r.detail,
        session,
        submittedHere: true,
      });
    return ESME_ROK;
  }

  async #mo(part: MoPart): Promise<number> {
    if (part.total <= 1) return this.#deliver(part.from, part.to, part.text);
    const key = JSON.stringify([part.from, part.to, part.ref, part.total]);
    const refused = this.#refused.get(key);
    if (refused) return this.#deliverSet(key, refused.from, refused.to, refused.text);
    const whole = this.#reassembler.add({ ...part, now: this.#d.clock.now() });
    // A part on its own is acknowledged at once: holding its answer for the rest would stall the SMSC.
    if (whole === null) return ESME_ROK;
    return this.#deliverSet(key, part.from, part.to, whole);
  }

  async #deliverSet(key: string, from: string, to: string, text: string): Promise<number> {
    try {
      const status = await this.#deliver(from, to, text);
      this.#refused.delete(key);
      return status;
    } catch (e) {
      // The Reassembler already released this set; keep the text for the redelivered last part.
      this.#refused.set(key, { from, to, text, at: this.#d.clock.now() });
      throw e;
    }
  }

  async #deliver(from: string, to: string, text: string): Promise<number> {
    const now = this.#d.clock.now();
    const digest = createHash('sha256').update(`${from}\n${to}\n${text}`).digest('hex').slice(0, 16);
    let seen = this.#recent.get(digest);
    if (seen && now - seen.at > REDELIVERY_WINDOW_MS) seen = undefined;
    if (seen?.done) return ESME_ROK;
    // The ref also names the window it began in, so a redelivery after a restart (same window) is
    // still recognised by the core's de-duplication.
    const ref = seen?.ref ?? `${from}:${to}:${digest}:${Math.floor(now / REDELIVERY_WINDOW_MS)}`;
    if (!seen) this.#recent.set(digest, { ref, at: now, done: false });
    await this.#d.hooks.inbound({ from, to, text, ref });
    this.#recent.set(digest, { ref, at: seen?.at ?? now, done: true });
    return ESME_ROK;
  }

  async #sweep(): Promise<void> {
    const now = this.#d.clock.now();
    for (const [key, r] of this.#refused) if (now - r.at > REFUSED_KEEP_MS) this.#refused.delete(key);
    for (const set of this.#reassembler.expire(now, PARTIAL_AFTER_MS)) {
      this.#d.log.warn(
        { from: set.from, to: set.to, missing: set.missing },
        'SMPP long text incomplete; delivering the parts that arrived',
      );
      await this.#deliver(set.from, set.to, set.partial).catch((e: unknown) =>
        this.#d.log.error({ err: e, from: set.from }, 'SMPP partial text not accepted; it is lost'),
      );
    }
  }
}
