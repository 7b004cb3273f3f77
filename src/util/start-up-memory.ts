// Start-up leaves V8's young generation grown (16 MB committed for ~6 MB live, the rest start-up's
// garbage) and freed pages pooled; V8 gives them back only when it finds the process idle (~30 s). One
// "last resort" collection once the server is up — the memory-reducing collection V8's
// Isolate::LowMemoryNotification runs, which JavaScript cannot call, reached through the gc extension —
// returns them now: ~10 MB less resident memory on an idle server, for ~80 ms of collection before the
// first request is answered. It needs `--expose-gc` (SERVER_NODE_FLAGS); without it (tests,
// `node src/main.ts`) nothing happens.

/** Runs the memory-reducing collection if the process may; says whether it ran. */
export function releaseStartUpMemory(): boolean {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
