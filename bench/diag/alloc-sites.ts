// DIAGNOSTIC ONLY — never for published figures. Preloaded into the server (node --import) by
// `node bench/run.ts --diag-alloc`, it samples where the server allocates, garbage included (V8's
// sampling heap profiler through the inspector, keeping objects the collectors freed): what feeds the
// young-generation collector, which a CPU profile shows only as "(garbage collector)". It samples from
// QUN_DIAG_ALLOC_AT ms after start (default 1500: after start-up, inside a short run's window) for
// QUN_DIAG_ALLOC_FOR ms (default 2500), then writes bytes allocated per function, highest first, to the
// file in QUN_DIAG_ALLOC_OUT ("%p" for the pid; default: stderr).
import fs from 'node:fs';
import inspector from 'node:inspector';

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}

const at = Number(process.env.QUN_DIAG_ALLOC_AT ?? 1500);
const span = Number(process.env.QUN_DIAG_ALLOC_FOR ?? 2500);
const session = new inspector.Session();
session.connect();

function where(n: SampleNode): string {
  const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
}

function report(head: SampleNode): string {
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (n: SampleNode) => {
    bytes.set(where(n), (bytes.get(where(n)) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c);
  };
  walk(head);
  const rows = [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 40)
    .map(
      ([k, v]) =>
        `${((100 * v) / total).toFixed(1).padStart(5)}% ${(v / 1e6).toFixed(1).padStart(7)} MB  ${k}`,
    );
  return `allocated in ${span} ms from ${at} ms after start: ${(total / 1e6).toFixed(0)} MB\n${rows.join('\n')}\n`;
}

setTimeout(() => {
  const start = {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  };
  session.post('HeapProfiler.startSampling', start, () => {
    setTimeout(() => {
      session.post('HeapProfiler.stopSampling', (err, r) => {
        const text = err ? `bench/diag/alloc-sites: ${err.message}\n` : report(r.profile.head as SampleNode);
        const out = process.env.QUN_DIAG_ALLOC_OUT?.replace('%p', String(process.pid));
        if (out) fs.writeFileSync(out, text);
        else process.stderr.write(text);
      });
    }, span).unref();
  });
}, at).unref();
process.stderr.write('bench/diag/alloc-sites: sampling allocations (diagnostic run)\n');
