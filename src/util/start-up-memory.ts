// Start-up leaves V8's young generation grown (loading and building the server allocates ~30 MB that
// dies at once) and its freed pages pooled; V8 gives them back only after ~30 s idle. One "last resort"
// collection when the server is up (V8's memory-reducing GC, the one Node's own `LowMemoryNotification`
// would run if JavaScript could ask for it) returns them now: ~11 MB less resident memory on an idle
// server, for one full collection of a ~17 MB heap before the first client arrives. It needs
// `--expose-gc` (SERVER_NODE_FLAGS); without it (tests, `node src/main.ts`) nothing happens.

/** Runs the memory-reducing collection if the process may; says whether it ran. */
export function releaseStartUpMemory(): boolean {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
