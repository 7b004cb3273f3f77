// Delivery receipts from any gateway: matched to their text by the gateway's id, ignoring case and
// leading zeros (SMSCs disagree on both). A receipt can beat its own submit response; such receipts are
// held and retried for a while before they count as unmatched.
import type { GatewayHooks, Receipt } from '../channels/sms/gateway.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';
import type { MemberCache } from './member-cache.ts';

const HOLD_MS = 10_000;
const RETRY_MS = 200;

export class ReceiptMatcher {
  readonly #store: Store;
  readonly #gateway: string;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  #held: { r: Receipt; until: number }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(store: Store, gateway: string, clock: Clock, metrics: Metrics) {
    this.#store = store;
    this.#gateway = gateway;
    this.#clock = clock;
    this.#metrics = metrics;
  }

  async receipt(r: Receipt): Promise<void> {
    // Gateway text is not trusted to be clean: a NUL (which no store keeps) is dropped, not stored.
    r = { ...r, ref: r.ref.replaceAll('\u0000', ''), detail: r.detail.replaceAll('\u0000', '') };
    if (!(await this.#match(r))) {
      this.#held.push({ r, until: this.#clock.now() + HOLD_MS });
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

  async #match(r: Receipt): Promise<boolean> {
    const now = this.#clock.now();
    const row = await this.#store.outbound.markDelivered(
      this.#gateway,
      r.ref,
      r.delivered,
      r.delivered ? '' : r.detail,
      now,
    );
    if (!row) return false;
    this.#metrics.receipts.inc({ gateway: this.#gateway, outcome: r.delivered ? 'delivered' : 'failed' });
    this.#metrics.receiptLatency.observe({ gateway: this.#gateway }, (now - row.createdAt) / 1000);
    return true;
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(async () => {
      this.#timer = undefined;
      const now = this.#clock.now();
      const keep: { r: Receipt; until: number }[] = [];
      for (const h of this.#held) {
        // A store that cannot answer now keeps the receipt held for the next try (never an unhandled error).
        const matched = await this.#match(h.r).catch(() => false);
        if (matched) continue;
        if (h.until > now) keep.push(h);
        else this.#metrics.receipts.inc({ gateway: this.#gateway, outcome: 'unmatched' });
      }
      this.#held = keep;
      if (keep.length > 0) this.#schedule();
    }, RETRY_MS);
    this.#timer.unref();
  }
}

/** The hooks a gateway calls, wired to the core. */
export function gatewayHooks(o: {
  store: Store;
  clock: Clock;
  members: MemberCache;
  receipts: ReceiptMatcher;
  inbound: (t: { from: string; to: string; text: string; ref: string | null }) => Promise<unknown>;
}): GatewayHooks {
  return {
    inbound: async (t) => {
      await o.inbound(t);
    },
    receipt: (r) => o.receipts.receipt(r),
    optedOut: async (phone) => {
      await o.store.users.setOptOut(phone, true, o.clock.now());
      o.members.invalidateAll();
    },
  };
}
