// The SMPP 3.4 gateway: submits each text as submit_sm parts over one transceiver bind (window, pacing,
// throttle back-off) and turns deliver_sm into receipts and inbound texts through SmppInbound.
import { randomInt } from 'node:crypto';
import { encodeParts } from '../../../../domain/sms/segments.ts';
import type { OutboundSms } from '../../../../store/store.ts';
import type { PreparedText, SmsGateway, SubmitResult } from '../../gateway.ts';
import type { GatewayContext } from '../registry.ts';
import { destinationAddr, isE164, sourceAddr } from './addresses.ts';
import { BoundedMap } from './bounded-map.ts';
import { Pacer, Window } from './flow.ts';
import { PartRefs } from './part-refs.ts';
import type { SmppSettings } from './settings.ts';
import { SmppInbound } from './smpp-inbound.ts';
import { type PduFields, str } from './smpp-lib.ts';
import { LinkError, SmppLink } from './smpp-link.ts';
import { ESME_ROK, isThrottle, isTransient, statusName } from './status.ts';

const ESM_UDHI = 0x40;
const DC_GSM7 = 0x00;
const DC_UCS2 = 0x08;
// Throttled parts are retried here first, pausing 200 ms and doubling (200, 400, 800, 1600: about 3 s),
// before the text goes back to the queue, which backs off further. The bound keeps one congested part
// from holding its window slot (and the queue's batch) for long.
const THROTTLE_FIRST_MS = 200;
const THROTTLE_MAX_MS = 2_000;
const THROTTLE_RETRIES = 4;
// What the queue is told to wait after a transient failure (it doubles this per attempt).
const RETRY_AFTER_MS = 1_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SMSCs disagree on the case and leading zeros of their own ids; compare them without either. */
export function normaliseId(id: string): string {
  return id
    .trim()
    .toLowerCase()
    .replace(/^0+(?=.)/, '');
}

export class SmppGateway implements SmsGateway {
  readonly name = 'smpp';
  readonly window: number;
  readonly #ctx: GatewayContext;
  readonly #cfg: SmppSettings;
  readonly #link: SmppLink;
  readonly #inbound: SmppInbound;
  readonly #inFlight: Window;
  readonly #pacer: Pacer;
  readonly #parts = new PartRefs();
  /** The concatenation ref each unsent long text got, reused when the queue resends it. */
  readonly #concatRefs = new BoundedMap<number, number>(10_000);
  /** The last concatenation ref used per destination: refs roll per handset, as handsets group by them. */
  readonly #lastRef = new BoundedMap<string, number>(100_000);

  constructor(ctx: GatewayContext, cfg: SmppSettings) {
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.window = cfg.window;
    this.#inFlight = new Window(cfg.window);
    this.#pacer = new Pacer(cfg.tps);
    this.#inbound = new SmppInbound({
      hooks: ctx.hooks,
      log: ctx.log,
      clock: ctx.clock,
      parts: this.#parts,
    });
    this.#link = new SmppLink(
      {
        host: cfg.host,
        port: cfg.port,
        systemId: cfg.systemId,
        password: cfg.password,
        systemType: cfg.systemType,
        addressRange: cfg.addressRange,
        enquireLinkMs: cfg.enquireLink,
        reconnectMaxMs: cfg.reconnectMax,
        responseTimeoutMs: cfg.responseTimeout,
        log: ctx.log,
      },
      (p, session) => this.#inbound.handle(p, session),
    );
  }

  /** Whether the link is bound right now (tests, diagnostics). */
  get bound(): boolean {
    return this.#link.bound;
  }

  async start(): Promise<void> {
    this.#inbound.start();
    await this.#link.start(this.#cfg.bindTimeout);
  }

  async stop(): Promise<void> {
    await this.#link.stop();
    await this.#inbound.stop();
  }

  reachable(phone: string): boolean {
    return isE164(phone);
  }

  // SMPP can only query a message by the SMSC's id, which a crash before the response never gave us.
  async reconcile(_o: OutboundSms): Promise<'sent' | 'not_sent' | 'unknown'> {
    return 'unknown';
  }

  async submit(o: OutboundSms, t: PreparedText): Promise<SubmitResult> {
    if (!isE164(o.toPhone)) return { outcome: 'failed', reason: `not an E.164 number: ${o.toPhone}` };
    let parts: Buffer[];
    try {
      parts = encodeParts(t.text, t.encoding, t.segments > 1 ? this.#concatRef(o) : 0, {
        udh16: this.#cfg.udh16,
      });
    } catch (e) {
      return { outcome: 'failed', reason: e instanceof Error ? e.message : String(e) };
    }
    const cfg = this.#cfg;
    const base: PduFields = {
      source_addr_ton: cfg.sourceTon,
      source_addr_npi: cfg.sourceNpi,
      source_addr: sourceAddr(o.fromAddr),
      dest_addr_ton: cfg.destTon,
      dest_addr_npi: cfg.destNpi,
      destination_addr: destinationAddr(o.toPhone, cfg.destTon),
      esm_class: parts.length > 1 ? ESM_UDHI : 0,
      // Always explicit: the library would otherwise guess, and may pick Latin-1.
      data_coding: t.encoding === 'ucs2' ? DC_UCS2 : DC_GSM7,
    };
    const receipts = this.#parts.begin();
    for (const [i, body] of parts.entries()) {
      const last = i === parts.length - 1;
      // One receipt per text, on its last part: it arrives after the others were accepted, and
      // SMSCs that bill receipts bill one.
      const registered_delivery = last && cfg.registeredDelivery ? 1 : 0;
      const r = await this.#submitPart({ ...base, registered_delivery, short_message: body });
      if (!('id' in r)) {
        if (i > 0) this.#ctx.log.warn({ outboundId: o.id, sentParts: i, reason: r.reason }, 'SMPP text cut');
        // A retried text keeps its concatenation ref, so handsets can merge the resent parts.
        if (r.outcome === 'failed') this.#concatRefs.delete(o.id);
        return r;
      }
      this.#parts.accepted(receipts, r.id, last, r.session);
    }
    this.#concatRefs.delete(o.id);
    // A part failed before the text had its ref (the last part's id): report it under that ref now.
    if (receipts.ref && receipts.failure) {
      const receipt = {
        ref: receipts.ref,
        delivered: false,
        detail: receipts.failure,
        session: receipts.session,
        submittedHere: true,
      };
      this.#ctx.hooks
        .receipt(receipt)
        .catch((e: unknown) => this.#ctx.log.error({ err: e }, 'SMPP receipt lost'));
    }
    return { outcome: 'submitted', ref: receipts.ref || null, session: receipts.session };
  }

  /** One submit_sm, retried while the SMSC throttles; resolves with the message id (and its bind) or the outcome. */
  async #submitPart(
    fields: PduFields,
  ): Promise<{ id: string; session: string } | Exclude<SubmitResult, { outcome: 'submitted' }>> {
    for (let attempt = 0; ; attempt++) {
      let status: number;
      let id: string;
      let session: string;
      await this.#inFlight.acquire();
      try {
        await this.#pacer.next();
        const { resp, session: s } = await this.#link.request('submit_sm', fields);
        status = resp.command_status;
        id = str(resp, 'message_id');
        session = s;
      } catch (e) {
        // Unanswered: the SMSC may have the part. The queue resends (at-least-once).
        const reason = e instanceof LinkError ? e.message : `no response: ${String(e)}`;
        return { outcome: 'retry', reason, afterMs: RETRY_AFTER_MS, unknownOutcome: true };
      } finally {
        this.#inFlight.release();
      }
      if (status === ESME_ROK) return { id, session };
      if (isThrottle(status)) {
        this.#ctx.metrics.throttled.inc({ gateway: 'smpp' });
        if (attempt < THROTTLE_RETRIES) {
          const pause = Math.min(THROTTLE_MAX_MS, THROTTLE_FIRST_MS * 2 ** attempt);
          await sleep(pause * (0.8 + Math.random() * 0.4));
          continue;
        }
      }
      if (isTransient(status))
        return { outcome: 'retry', reason: statusName(status), afterMs: RETRY_AFTER_MS };
      return { outcome: 'failed', reason: statusName(status) };
    }
  }

  #concatRef(o: OutboundSms): number {
    const held = this.#concatRefs.get(o.id);
    if (held !== undefined) return held;
    const mask = this.#cfg.udh16 ? 0xffff : 0xff;
    // A random start per destination, so a restart does not reuse the refs a handset just saw.
    const ref = ((this.#lastRef.get(o.toPhone) ?? randomInt(mask + 1)) + 1) & mask;
    this.#lastRef.set(o.toPhone, ref);
    this.#concatRefs.set(o.id, ref);
    return ref;
  }
}
