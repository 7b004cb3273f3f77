// History retention: deletes messages older than their group's retention (QUN_RETENTION_DAYS, or the
// group's own), in batches of one short transaction each, never above a member's settled cursor (the
// rule is in store/ops/maintenance.ts and docs/deployment.md#retention).
//
// One node at a time: a run holds the store's 'retention' lease (store/rules/lease-rules.ts says why a
// lease row and not an advisory lock), renews it after every batch and gives it up at the end. A node
// that finds it held skips its turn; one that dies mid-run leaves the lease to expire, and the next run
// after that, on any node, carries on (deleting is idempotent: the prefix rule picks up where it stopped).
import type { Clock } from '../core/clock.ts';
import { DEFAULT_LEASE } from '../store/rules/lease-rules.ts';
import type { Store } from '../store/store.ts';

/** The lease's name in the leases table. */
export const RETENTION_LEASE = 'retention';

export interface RetentionJobDeps {
  store: Store;
  clock: Clock;
  defaultDays: number;
  log: { info: (o: object, m: string) => void };
  batch?: number;
  /** How long the run's lease lasts without a renewal (QUN_LEASE); longer than one batch takes. */
  leaseMs?: number;
}

export class RetentionJob {
  readonly #d: RetentionJobDeps;
  #running: Promise<number> | undefined;

  constructor(deps: RetentionJobDeps) {
    this.#d = deps;
  }

  /**
   * One run until nothing expired is left; a run already going in this process is joined, not doubled,
   * and one going on another node makes this a no-op (0).
   */
  run(say?: (line: string) => void, signal?: AbortSignal): Promise<number> {
    this.#running ??= this.#run(say, signal).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(say?: (line: string) => void, signal?: AbortSignal): Promise<number> {
    const d = this.#d;
    const leaseMs = d.leaseMs ?? DEFAULT_LEASE.ms;
    const hold = () => d.store.leases.hold(RETENTION_LEASE, d.clock.now(), d.clock.now() + leaseMs);
    const now = d.clock.now();
    if (!(await hold())) {
      say?.('retention: another node is running it now; nothing done here');
      return 0;
    }
    let total = 0;
    try {
      for (;;) {
        const r = await d.store.maintenance.pruneHistory(now, d.defaultDays, d.batch ?? 1000);
        if (r.deleted === 0) break;
        total += r.deleted;
        say?.(`retention: ${total} messages deleted so far`);
        // A lease lost between batches (this node stalled longer than the lease): the node that took it
        // over carries on, this one stops.
        if (signal?.aborted || !(await hold())) break;
      }
    } finally {
      await d.store.leases.release(RETENTION_LEASE);
    }
    if (total > 0) d.log.info({ deleted: total }, 'history retention deleted expired messages');
    return total;
  }
}
