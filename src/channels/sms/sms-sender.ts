// The outbound SMS queue worker: claims queued texts from the store, reconciles texts whose outcome a
// crash left unknown before sending anything, keeps to the gateway's TPS, retries transient failures
// with back-off, and records every outcome. One worker per node; claims are transactional.
//
// Several nodes on one queue: a claimed text is leased to its node (QUN_NODE_ID) until it is recorded.
// The worker renews its leases every third of QUN_LEASE (its heartbeat) and, just before a submit, the
// recheck both extends the lease and fences: a text another node took over is not sent. At start-up a
// node reconciles only its own texts left in `submitting` and those whose lease expired — never another
// live node's in-flight texts — and while running it takes over expired ones (a node that died) each
// heartbeat. What stays at-least-once is the gateway edge: a node that dies after the gateway took a text
// but before the store recorded it leaves a text whose outcome nobody knows. Its taker asks the gateway
// (reconcile: Twilio can look the message up; SMPP and Kannel cannot, and answer "unknown"), and an
// unknown outcome is sent again and counted in qun_sms_in_doubt_total, so the member may get it twice.
// Receipts settle the books: the row holds the ref of the submit that was recorded, so its receipt
// settles it; a receipt for the dead node's unrecorded submit matches no row and is dropped. The lease
// only decides who retries, not whether: it is long (minutes), so a node that is merely slow, or lost the
// database for less than a lease, is not doubled.

import type { Clock } from '../../core/clock.ts';
import { analyze } from '../../domain/sms/segments.ts';
import type { DigestComposer, OutboundSms, Store, SubmittedText } from '../../store/store.ts';
import { Batcher } from '../../util/batcher.ts';
import { KeyedChain } from '../../util/keyed-chain.ts';
import type { Metrics } from '../../util/metrics.ts';
import type { PreparedText, SmsGateway, SubmitResult } from './gateway.ts';

/** Outcomes waiting for their commit, in windows: past it, the queue claims no more until some land. */
const RECORDING_PER_WINDOW = 4;

export interface SmsSenderOptions {
  tps: number;
  window: number;
  smartSubstitution: boolean;
  maxAttempts: number;
  pollMs: number;
  /** How long a claimed text stays this node's without a renewal (QUN_LEASE); renewed every third of it. */
  leaseMs: number;
  /** Writes a digest's text when a held digest text falls due (members with digests on). */
  composeDigest?: DigestComposer;
}

export class SmsSender {
  readonly #store: Store;
  readonly #perPhone = new KeyedChain();
  /**
   * Per number, the text in back-off (until its retry): the texts claimed with it wait behind it in
   * #perPhone and are handed back instead of overtaking it. After `until` the store's own rule (nothing
   * is claimed past an earlier text in back-off) keeps the order, so the entry is dropped.
   */
  readonly #backedOff = new Map<string, { id: number; until: number }>();
  readonly #gw: SmsGateway;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #opt: SmsSenderOptions;
  readonly #log: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void };
  #draining: Promise<void> | undefined;
  #again = false;
  /** Resolves the drain's wait for room (wake() while a pass waits on in-flight submits). */
  #nudge: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #heartbeat: Promise<void> | undefined;
  #renewing: Promise<void> | undefined;
  #stopped = false;
  #nextSlot = 0;
  readonly #submitted: Batcher<SubmittedText & { id: number }, undefined>;
  /** Outcomes answered by the gateway and not yet written (see #drain). */
  readonly #recording = new Set<Promise<void>>();

  constructor(
    store: Store,
    gw: SmsGateway,
    clock: Clock,
    metrics: Metrics,
    opt: SmsSenderOptions,
    log: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void },
  ) {
    this.#store = store;
    this.#gw = gw;
    this.#clock = clock;
    this.#metrics = metrics;
    this.#opt = opt;
    this.#log = log;
    this.#submitted = new Batcher(async (items) => {
      await store.outbound.markSubmittedMany(items, clock.now());
      return items.map(() => undefined);
    });
  }

  async start(): Promise<void> {
    // This node has nothing in flight yet: its own texts left in `submitting` are in doubt, with the
    // expired ones of nodes that died.
    await this.#reconcile(true);
    this.#timer = setInterval(() => this.wake(), this.#opt.pollMs);
    this.#timer.unref();
    this.#leaseTimer = setInterval(
      () => void this.heartbeat(),
      Math.max(1, Math.floor(this.#opt.leaseMs / 3)),
    );
    this.#leaseTimer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#leaseTimer) clearInterval(this.#leaseTimer);
    await this.#draining;
    await this.#heartbeat;
    await this.#renewing;
  }

  /**
   * Renews the leases of this node's texts in flight, and takes over the texts whose lease expired (their
   * node died) and reconciles them. Runs every third of the lease. The renewal never waits for a take-over:
   * reconciling a dead node's texts is a gateway query each and can outlast several beats, and a lease
   * left unrenewed meanwhile would expire under this live node and let another take its texts over.
   */
  heartbeat(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    const warn = (e: unknown) =>
      this.#log.warn({ err: e }, 'SMS lease heartbeat failed; retrying on the next one');
    this.#renewing ??= this.#store.outbound
      .renewLeases(this.#clock.now())
      .then(() => {})
      .catch(warn)
      .finally(() => {
        this.#renewing = undefined;
      });
    this.#heartbeat ??= (async () => {
      if (await this.#reconcile(false)) this.wake();
    })()
      .catch(warn)
      .finally(() => {
        this.#heartbeat = undefined;
      });
    return Promise.all([this.#renewing, this.#heartbeat]).then(() => {});
  }

  /** Something was queued: drain soon. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#draining) {
      this.#again = true;
      // A pass waiting for a slow gateway's answers takes the new texts into its free window now.
      this.#nudge?.();
      return;
    }
    // A store that refuses (disk full, database down) fails this pass only: the next wake or poll retries.
    this.#draining = this.#drain()
      .catch((e) => this.#log.warn({ err: e }, 'SMS queue pass failed; retrying on the next poll'))
      .finally(() => {
        this.#draining = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Resolves when nothing is queued and nothing is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#draining || this.#again) await (this.#draining ?? new Promise((r) => setImmediate(r)));
  }

  /** Reconciles the texts taken over (with `own`, this node's from before its restart); how many. */
  async #reconcile(own: boolean): Promise<number> {
    const taken = await this.#store.outbound.takeOverInDoubt(this.#clock.now(), own);
    for (const o of taken) {
      const verdict = await this.#gw.reconcile(o);
      const now = this.#clock.now();
      if (verdict === 'sent') {
        await this.#store.outbound.markSubmitted(
          o.id,
          { gatewayRef: o.gatewayRef, encoding: o.encoding ?? 'gsm7', segments: o.segments ?? 1 },
          now,
        );
      } else {
        if (verdict === 'unknown') this.#metrics.smsInDoubt.inc();
        await this.#store.outbound.requeue(o.id, `reconciled after restart: ${verdict}`, now, now);
      }
      this.#log.info({ outboundId: o.id, verdict }, 'reconciled in-doubt text');
    }
    return taken.length;
  }

  /**
   * Keeps up to `window` texts at the gateway, claiming the next ones as answers come back, so one text
   * in back-off (a throttled submit) does not hold up the others. A text leaves the window when the
   * gateway answers, not when its outcome is recorded: the record is a group commit (an fsync), and a
   * window that sat those out kept fewer submits at the SMSC than it allows (1,294 → 2,049 submit_sm/s
   * at window 10, docs/performance.md#sms-queue). Outcomes waiting for their commit are bounded too
   * (RECORDING_PER_WINDOW windows), so a slow store slows the claims.
   */
  async #drain(): Promise<void> {
    const inflight = new Set<Promise<void>>();
    const recordingCap = this.#opt.window * RECORDING_PER_WINDOW;
    while (!this.#stopped) {
      // Claim when half the window is free (or nothing is in flight): each claim is one commit, so
      // claiming in chunks keeps the queue's fsyncs per text low without idling the window.
      const room = Math.min(
        this.#opt.window - inflight.size,
        recordingCap - this.#recording.size - inflight.size,
      );
      const claimNow =
        room > 0 && (inflight.size === 0 || room >= Math.max(1, Math.floor(this.#opt.window / 2)));
      const batch = claimNow
        ? await this.#store.outbound.claim(room, this.#clock.now(), this.#opt.composeDigest)
        : [];
      for (const o of batch) {
        const p: Promise<void> = this.#send(o).finally(() => inflight.delete(p));
        inflight.add(p);
      }
      // Nothing at the gateway and nothing more to claim: the pass is done (its records finish below).
      if (inflight.size === 0 && claimNow) break;
      if (batch.length === 0 || !claimNow || inflight.size >= this.#opt.window) {
        // Until a submit is answered or an outcome is recorded — or, with room in the window, until
        // something new is queued.
        const woken =
          inflight.size < this.#opt.window
            ? new Promise<void>((r) => {
                this.#nudge = r;
              })
            : undefined;
        await Promise.race([...inflight, ...this.#recording, ...(woken ? [woken] : [])]);
        this.#nudge = undefined;
      }
    }
    await Promise.all(inflight);
    await Promise.all(this.#recording);
    this.#metrics.smsQueueDepth.set(await this.#store.outbound.depth());
  }

  /**
   * Texts to one number go to the gateway one at a time, in queue order: with a window of several
   * submits in flight, a later text to the same phone could otherwise overtake an earlier one (the
   * network keeps no order either, but Qun does not add reordering of its own). Texts to different
   * numbers still fill the window.
   */
  #send(o: OutboundSms): Promise<void> {
    return this.#perPhone.run(o.toPhone, () => this.#sendNow(o));
  }

  async #sendNow(o: OutboundSms): Promise<void> {
    const off = this.#backedOff.get(o.toPhone);
    if (off && this.#clock.now() >= off.until) this.#backedOff.delete(o.toPhone);
    else if (off && o.id > off.id) {
      // An earlier text to this number is waiting for its retry: sent now, this one would overtake it.
      await this.#store.outbound.handBack(o.id, this.#clock.now());
      return;
    }
    await this.#slot();
    // The slot may have taken a while: a member removed or a STOP received meanwhile wins.
    if (await this.#store.outbound.recheck(o.id, this.#clock.now())) return;
    const t = analyze(o.text, { smartSubstitution: this.#opt.smartSubstitution });
    const r: SubmitResult = await this.#gw.submit(o, t).catch((e: unknown) => ({
      outcome: 'retry' as const,
      reason: e instanceof Error ? e.message : String(e),
      afterMs: 1000,
      // A gateway that threw may or may not have handed the text over.
      unknownOutcome: true,
    }));
    const now = this.#clock.now();
    // A retry is decided here once; its back-off is set before this text leaves the number's chain, as
    // the next text to the number must see it.
    const retryAt =
      r.outcome === 'retry' && o.attempts < this.#opt.maxAttempts
        ? now + r.afterMs * 2 ** Math.min(o.attempts - 1, 6)
        : undefined;
    if (retryAt !== undefined) this.#backedOff.set(o.toPhone, { id: o.id, until: retryAt });
    // The gateway has answered: the window slot and the number's turn are free while the outcome is
    // written. A record that fails leaves the text in `submitting` under this node's lease, in doubt
    // and reconciled like a crash's (its lease runs out, or this node restarts).
    const recording: Promise<void> = this.#record(o, t, r, retryAt, now)
      .catch((e: unknown) =>
        this.#log.warn({ err: e, outboundId: o.id }, 'recording a text outcome failed; it stays in doubt'),
      )
      .finally(() => this.#recording.delete(recording));
    this.#recording.add(recording);
  }

  /** Writes what the gateway answered; `retryAt` is set when the text is to be tried again then. */
  async #record(
    o: OutboundSms,
    t: PreparedText,
    r: SubmitResult,
    retryAt: number | undefined,
    now: number,
  ): Promise<void> {
    if (r.outcome === 'submitted') {
      // Texts answered in the same turn are recorded in one commit (one fsync for the batch).
      await this.#submitted.submit({
        id: o.id,
        gatewayRef: r.ref,
        gatewaySession: r.session ?? null,
        encoding: t.encoding,
        segments: t.segments,
      });
      this.#metrics.smsSent.inc({ gateway: this.#gw.name, kind: o.kind });
      this.#metrics.smsSegments.inc({ gateway: this.#gw.name }, t.segments);
    } else if (r.outcome === 'retry' && retryAt !== undefined) {
      if (r.unknownOutcome) this.#metrics.smsInDoubt.inc();
      await this.#store.outbound.requeue(o.id, r.reason, retryAt, now);
    } else {
      await this.#store.outbound.markFailed(o.id, r.reason, now);
      if (r.outcome === 'failed' && r.optedOut) await this.#store.users.setOptOut(o.toPhone, true, now);
      this.#metrics.smsFailed.inc({
        gateway: this.#gw.name,
        reason: r.outcome === 'failed' ? 'refused' : 'retries_exhausted',
      });
      this.#log.warn({ outboundId: o.id, reason: r.reason }, 'text failed');
    }
  }

  /** Spaces submits at 1/TPS seconds: a limit that is never exceeded over any window. */
  async #slot(): Promise<void> {
    if (this.#opt.tps <= 0) return;
    const now = this.#clock.now();
    const at = Math.max(now, this.#nextSlot);
    this.#nextSlot = at + 1000 / this.#opt.tps;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}
