// History retention: deletes messages older than their group's retention (QUN_RETENTION_DAYS, or the
// group's own), in batches of one short transaction each, never above a member's settled cursor (the
// rule is in store/ops/maintenance.ts and docs/deployment.md#retention).
import type { Clock } from '../core/clock.ts';
import type { Store } from '../store/store.ts';

export interface RetentionJobDeps {
  store: Store;
  clock: Clock;
  defaultDays: number;
  log: { info: (o: object, m: string) => void };
  batch?: number;
}

export class RetentionJob {
  readonly #d: RetentionJobDeps;
  #running: Promise<number> | undefined;

  constructor(deps: RetentionJobDeps) {
    this.#d = deps;
  }

  /** One run until nothing expired is left; a run already going is joined, not doubled. */
  run(say?: (line: string) => void): Promise<number> {
    this.#running ??= this.#run(say).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(say?: (line: string) => void): Promise<number> {
    const d = this.#d;
    const now = d.clock.now();
    let total = 0;
    for (;;) {
      const r = await d.store.maintenance.pruneHistory(now, d.defaultDays, d.batch ?? 1000);
      if (r.deleted === 0) break;
      total += r.deleted;
      say?.(`retention: ${total} messages deleted so far`);
    }
    if (total > 0) d.log.info({ deleted: total }, 'history retention deleted expired messages');
    return total;
  }
}
