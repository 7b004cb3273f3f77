// DIAGNOSTIC ONLY — never for published figures. Preloaded into the server (node --import) by
// `node bench/run.ts --diag-sync-off`, it turns the store's `synchronous = FULL` into OFF, so commits
// cost no fsync: the run then shows what the server's CPU does per delivery once durability waits are
// out of the way (the next bottleneck after group commit is fixed). Qun's durability promise does not
// hold in this mode.
import Database from 'better-sqlite3';

const proto = Database.prototype as unknown as { pragma: (source: string, options?: unknown) => unknown };
const pragma = proto.pragma;
proto.pragma = function (this: unknown, source: string, options?: unknown) {
  const s = /^\s*synchronous\s*=\s*FULL\s*$/i.test(source) ? 'synchronous = OFF' : source;
  return pragma.call(this, s, options);
};
process.stderr.write('bench/diag/sync-off: SQLite synchronous=OFF (diagnostic run, not durable)\n');
