// The Node.js flags the server runs with: `npm start`, the systemd unit in docs/deployment.md and the
// benchmarks' server all use these (a unit test checks that they agree).
//
// --max-semi-space-size=8 (MiB): V8 grows its young generation up to 64 MiB per semi-space on this kind
// of machine when a burst of work (10,000 clients signing in at once) survives its scavenges, and keeps
// the pages after the burst. That was over half of an idle live connection's memory: 16.4–16.7 KiB each
// at 10,000 connections with V8's default, 6.4 KiB with 8 MiB; fan-out and ingest showed no cost
// beyond the machine's noise (docs/performance.md#idle-connections).
//
// --expose-gc: a second after the server is up it runs one memory-reducing collection
// (src/util/start-up-memory.ts) that hands start-up's young generation and pooled pages back at once
// instead of after ~30 s idle: idle RSS ~90 → ~78 MB (docs/performance.md#start-up). Nothing else calls
// `gc`.
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--expose-gc'];
