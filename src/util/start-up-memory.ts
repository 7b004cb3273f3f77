// Start-up leaves V8's young generation grown (16 MB committed for ~6 MB live, the rest start-up's
// garbage) and freed pages pooled; V8 gives them back only when it finds the process idle (~30 s). One
// "last resort" collection once the server is up — the memory-reducing collection V8's
// Isolate::LowMemoryNotification runs, which JavaScript cannot call, reached through the gc extension —
// returns them soon: ~10 MB less resident memory on an idle server, for one ~80 ms collection. It runs a
// second after the server is up, not before its first answer: a supervisor's readiness probe (and the
// first clients) are answered ~80 ms sooner, and by then start-up's garbage is all there is to collect.
// It needs `--expose-gc` (SERVER_NODE_FLAGS); without it (tests, `node src/main.ts`) nothing happens.

/** Runs the memory-reducing collection if the process may; says whether it ran. */
export function releaseStartUpMemory(): boolean {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}

/** The collection `delayMs` after now, on a timer that does not keep the process alive. */
export function releaseStartUpMemorySoon(delayMs = 1000): void {
  setTimeout(releaseStartUpMemory, delayMs).unref();
}
