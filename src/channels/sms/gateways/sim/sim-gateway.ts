// The simulated gateway: "sends" a text by writing it to the simulated phone's inbox in the database,
// in the same transaction that marks it sent, so that exactly-once can be proven end to end.
import type { Clock } from '../../../../core/clock.ts';
import type { OutboundSms, SimStore } from '../../../../store/store.ts';
import type { PreparedText, SmsGateway, SubmitResult } from '../../gateway.ts';

export class SimGateway implements SmsGateway {
  readonly name = 'sim';
  readonly #sim: SimStore;
  readonly #clock: Clock;

  constructor(sim: SimStore, clock: Clock) {
    this.#sim = sim;
    this.#clock = clock;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async submit(o: OutboundSms, t: PreparedText): Promise<SubmitResult> {
    await this.#sim.deliver(
      { ...o, text: t.text },
      { encoding: t.encoding, segments: t.segments },
      this.#clock.now(),
    );
    return { outcome: 'submitted', ref: `sim-${o.id}` };
  }

  reachable(): boolean {
    return true;
  }

  /** Delivery and bookkeeping share a transaction: a text still `submitting` was never delivered. */
  async reconcile(): Promise<'not_sent'> {
    return 'not_sent';
  }
}
