// One clock for every generator process: CLOCK_MONOTONIC in milliseconds, read cheaply.
//
// performance.now() and process.hrtime() both read uv_hrtime, so they differ by a fixed offset, but the
// offset must be taken with both already warm: the first performance.now() of a process loads
// perf_hooks and returns 2–3 ms late, and an offset taken across it shifted each process's clock by its
// own load time — enough to give a negative median latency between two processes.
performance.now();
process.hrtime.bigint();

function offset(): number {
  let best = Number.POSITIVE_INFINITY;
  let at = 0;
  for (let i = 0; i < 16; i++) {
    const before = process.hrtime.bigint();
    const now = performance.now();
    const after = process.hrtime.bigint();
    // The narrowest bracket is the least disturbed reading.
    const width = Number(after - before);
    if (width < best) {
      best = width;
      at = Number(before + (after - before) / 2n) / 1e6 - now;
    }
  }
  return at;
}

const MONO_OFFSET = offset();

/** CLOCK_MONOTONIC now, in ms, comparable between processes on this machine. */
export const mono = (): number => performance.now() + MONO_OFFSET;
