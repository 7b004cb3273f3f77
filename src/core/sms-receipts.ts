// Delivery receipts from any gateway: matched to exactly the text they belong to (domain/sms/
// receipt-match.ts: within the link session, else the newest text with that id; a text that has ended
// is never given another ending), then recorded: the text's state, a trail row, a metric. A receipt can
// beat its own submit response; such receipts are held and retried for a while, and one that still
// names no text, or names several, is counted and logged as such rather than guessed.

import { cleanReason, matchReceipt, type ReceiptVerdict } from '../domain/sms/receipt-match.ts';
import type { OutboundSms, ReceiptSettlement, Store, TrailEntry } from '../store/store.ts';
import { Batcher } from '../util/batcher.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';
import type { MemberCache } from './member-cache.ts';
import type { GatewayHooks, InboundText, Receipt } from './ports/gateway-hooks.ts';

const HOLD_MS = 10_000;
// After this long, a receipt with no text in its own session may match a text of an earlier session
// (an SMSC redelivering receipts after a reconnect). Before it, the submit may still be recording.
const OTHER_SESSIONS_AFTER_MS = 2_000;
const RETRY_MS = 200;

export interface ReceiptLog {
  warn(o: object, m: string): void;
}

interface Held {
  r: Receipt;
  since: number;
}

export class ReceiptMatcher {
  readonly #store: Store;
  readonly #gateway: string;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #log: ReceiptLog;
  #held: Held[] = [];
  #timer: NodeJS.Timeout | undefined;
  /**
   * Receipts come at the rate texts go (one per text): the texts they settle and their trail rows are
   * written together, a commit per turn for each rather than two per receipt (an fsync each). Each
   * receipt still waits for its own writes to be durable.
   */
  readonly #settle: Batcher<ReceiptSettlement, OutboundSms | undefined>;
  readonly #trail: Batcher<TrailEntry, undefined>;

  constructor(store: Store, gateway: string, clock: Clock, metrics: Metrics, log?: ReceiptLog) {
    this.#store = store;
    this.#gateway = gateway;
    this.#clock = clock;
    this.#metrics = metrics;
    this.#log = log ?? { warn() {} };
    this.#settle = new Batcher((items) => store.outbound.settleReceipts(items, clock.now()));
    this.#trail = new Batcher(async (rows) => {
      await store.delivery.addTrail(rows);
      return rows.map(() => undefined);
    });
  }

  async receipt(r: Receipt): Promise<void> {
    // Gateway text is not trusted to be clean: control bytes (a NUL no store keeps, UDH) are dropped.
    r = { ...r, ref: r.ref.replaceAll('\u0000', ''), detail: cleanReason(r.detail) };
    const h = { r, since: this.#clock.now() };
    if (!(await this.#match(h))) {
      this.#held.push(h);
      this.#schedule();
    }
  }

  /** Receipts still waiting for their text (tests, shutdown). */
  get held(): number {
    return this.#held.length;
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** False when the receipt should be held and tried again. */
  async #match(h: Held, expired = false): Promise<boolean> {
    const { r } = h;
    const now = this.#clock.now();
    const candidates = await this.#store.outbound.receiptCandidates(this.#gateway, r.ref);
    // A receipt whose id the gateway saw given in its own session is never matched outside it.
    const settled = (expired || now - h.since >= OTHER_SESSIONS_AFTER_MS) && !r.submittedHere;
    const v = matchReceipt(candidates, { session: r.session ?? null, delivered: r.delivered }, settled);
    if (v.kind === 'wait') {
      if (!expired) return false;
      await this.#record(r, 'unmatched', undefined, 'no text was submitted with this id');
      return true;
    }
    if (r.progress) {
      // A notice on the way changes no state; it goes in the trail of the text it is about, also when
      // it comes after the final receipt (two callbacks are two requests, and the second can overtake).
      const row = 'id' in v ? candidates.find((c) => c.id === v.id) : undefined;
      await this.#record(r, 'progress', row, `receipt: ${r.detail}`);
      return true;
    }
    if (v.kind === 'apply') {
      const row = await this.#settle.submit({ id: v.id, ok: r.delivered, detail: r.detail });
      // Another receipt settled it in between: judge this one again against what is stored now.
      if (!row) return this.#match(h, expired);
      this.#metrics.receiptLatency.observe({ gateway: this.#gateway }, (now - row.createdAt) / 1000);
      await this.#record(r, r.delivered ? 'delivered' : 'failed', row, `receipt: ${r.detail}`);
      return true;
    }
    const row = 'id' in v ? candidates.find((c) => c.id === v.id) : undefined;
    await this.#record(r, v.kind, row, describe(v, r));
    return true;
  }

  async #record(r: Receipt, outcome: string, row: OutboundSms | undefined, reason: string): Promise<void> {
    this.#metrics.receipts.inc({ gateway: this.#gateway, outcome });
    if (!['delivered', 'failed', 'duplicate', 'progress'].includes(outcome))
      this.#log.warn(
        { gateway: this.#gateway, ref: r.ref, session: r.session, outboundId: row?.id, detail: r.detail },
        `SMS receipt ${outcome}: ${reason}`,
      );
    // Group messages keep their story in the trail; the text's own row already shows its state.
    if (!row || row.groupId === null || row.seq === null || row.userId === null || outcome === 'duplicate')
      return;
    await this.#trail.submit({
      groupId: row.groupId,
      userId: row.userId,
      seqFrom: row.seq - 1,
      seqTo: row.seq,
      rung: 'sms',
      outcome: outcome === 'delivered' || outcome === 'failed' ? outcome : `receipt_${outcome}`,
      reason,
      at: this.#clock.now(),
    });
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(async () => {
      this.#timer = undefined;
      const now = this.#clock.now();
      const keep: Held[] = [];
      for (const h of this.#held) {
        // A store that cannot answer now keeps the receipt held for the next try (never an unhandled error).
        const settled = await this.#match(h, now - h.since >= HOLD_MS).catch(() => false);
        if (!settled) keep.push(h);
      }
      this.#held = keep;
      if (keep.length > 0) this.#schedule();
    }, RETRY_MS);
    this.#timer.unref();
  }
}

function describe(v: Exclude<ReceiptVerdict, { kind: 'wait' | 'apply' }>, r: Receipt): string {
  const said = r.delivered ? 'delivered' : 'failed';
  if (v.kind === 'duplicate') return `repeated receipt (${r.detail})`;
  if (v.kind === 'conflict')
    return `receipt says ${said} (${r.detail}) but the text is already ${v.state}; kept`;
  return `receipt (${r.detail}) could be for any of texts ${v.ids.join(', ')}; none changed`;
}

/** The hooks a gateway calls, wired to the core. */
export function gatewayHooks(o: {
  store: Store;
  clock: Clock;
  members: MemberCache;
  receipts: ReceiptMatcher;
  inbound: (t: { from: string; to: string; text: string; ref: string | null }) => Promise<unknown>;
  /** A text came with media (MMS) Qun does not carry: tell the sender (sms-media.ts). */
  media?: (t: InboundText) => Promise<void>;
}): GatewayHooks {
  return {
    inbound: async ({ media, ...t }) => {
      // A picture with no words has nothing for the core: only the sender is told.
      if (!media || t.text.trim() !== '') await o.inbound(t);
      if (media) await o.media?.({ ...t, media });
    },
    receipt: (r) => o.receipts.receipt(r),
    optedOut: async (phone) => {
      await o.store.users.setOptOut(phone, true, o.clock.now());
      o.members.invalidateAll();
    },
  };
}
