// One lifecycle for Qun's periodic background work (the reminder and escalation scan, the ack-deadline
// sweep): each job runs on its own interval, never twice at once — a tick that finds the previous run
// still going (a slow push service, a busy database) is skipped and counted — and stop() waits for the
// runs in progress to finish, so a SIGTERM leaves no half-done pass behind.
import type { Counter } from 'prom-client';

export interface Job {
  /** A short name for logs and metrics. */
  name: string;
  everyMs: number;
  /** One pass. The signal is aborted when the runner stops: a long pass should end early. */
  run(signal: AbortSignal): Promise<unknown>;
}

export interface JobRunnerDeps {
  log: { error: (o: object, m: string) => void };
  /** Ticks skipped because the previous run of the job was still going, by job. */
  overlaps?: Counter<'job'>;
}

interface Entry {
  job: Job;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
}

export class JobRunner {
  readonly #d: JobRunnerDeps;
  readonly #entries: Entry[] = [];
  readonly #abort = new AbortController();
  #started = false;

  constructor(deps: JobRunnerDeps) {
    this.#d = deps;
  }

  add(job: Job): this {
    if (this.#entries.some((e) => e.job.name === job.name)) throw new Error(`duplicate job: ${job.name}`);
    this.#entries.push({ job, timer: undefined, running: undefined });
    if (this.#started) this.#schedule(this.#entries.at(-1)!);
    return this;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const e of this.#entries) this.#schedule(e);
  }

  /** Runs a job now unless it is already running; resolves when this (or the running) pass ends. */
  runNow(name: string): Promise<void> {
    const e = this.#entries.find((x) => x.job.name === name);
    if (!e) return Promise.reject(new Error(`unknown job: ${name}`));
    return this.#tick(e) ?? e.running ?? Promise.resolve();
  }

  /** Stops scheduling, aborts the runs in progress and waits for them to end. */
  async stop(): Promise<void> {
    this.#abort.abort();
    for (const e of this.#entries) if (e.timer) clearInterval(e.timer);
    await Promise.all(this.#entries.map((e) => e.running));
  }

  #schedule(e: Entry): void {
    e.timer = setInterval(() => void this.#tick(e), e.job.everyMs);
    e.timer.unref();
  }

  /** Starts a pass; undefined when the previous one is still going (the overlap guard). */
  #tick(e: Entry): Promise<void> | undefined {
    if (this.#abort.signal.aborted) return undefined;
    if (e.running) {
      this.#d.overlaps?.inc({ job: e.job.name });
      return undefined;
    }
    const run = e.job
      .run(this.#abort.signal)
      .then(
        () => undefined,
        (err: unknown) =>
          this.#d.log.error({ err, job: e.job.name }, 'background job failed; it runs again next tick'),
      )
      .finally(() => {
        e.running = undefined;
      });
    e.running = run;
    return run;
  }
}
