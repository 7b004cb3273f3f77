// DIAGNOSTIC ONLY — never for published figures. Preloaded into the server (node --import) by
// `node bench/run.ts --diag-pg-queries`, it counts every statement the PostgreSQL store sends (by its
// text, parameters left out) with the time from sending to its answer, and writes the table to the file
// in QUN_DIAG_PG_OUT (default: stderr) every two seconds and at exit: what each use case costs in
// round trips, and where a run waits for the database.
import fs from 'node:fs';
import pg from 'pg';

type Stat = { n: number; ms: number };
const stats = new Map<string, Stat>();
const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
const query = proto.query;
proto.query = function (this: unknown, ...a: unknown[]) {
  const first = a[0];
  const text = typeof first === 'string' ? first : ((first as { text?: string })?.text ?? '?');
  const k = text.replace(/\s+/g, ' ').trim().slice(0, 110);
  const t0 = performance.now();
  const done = () => {
    const s = stats.get(k) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += performance.now() - t0;
    stats.set(k, s);
  };
  // The pool calls with a callback (and gets no promise back); a checked-out client without one.
  const cb = a.at(-1);
  if (typeof cb === 'function')
    a[a.length - 1] = (...r: unknown[]) => {
      done();
      return (cb as (...r: unknown[]) => unknown)(...r);
    };
  const out = query.apply(this, a);
  if (typeof cb !== 'function' && out && typeof (out as Promise<unknown>).then === 'function')
    (out as Promise<unknown>).then(done, done);
  return out;
};

function dump(): void {
  const lines = [...stats.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(
      ([k, s]) =>
        `${String(s.n).padStart(8)} ${s.ms.toFixed(0).padStart(9)} ms ${(s.ms / s.n).toFixed(2).padStart(7)} ${k}`,
    );
  const text = `   count     total    mean statement\n${lines.join('\n')}\n`;
  // "%p" in the path: one file per process (several nodes, or the bench process beside its server).
  const out = process.env.QUN_DIAG_PG_OUT?.replace('%p', String(process.pid));
  if (out) fs.writeFileSync(out, text);
  else process.stderr.write(text);
}
setInterval(dump, 2000).unref();
process.on('exit', dump);
process.stderr.write('bench/diag/pg-queries: counting PostgreSQL statements (diagnostic run)\n');
