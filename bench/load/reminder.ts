// Load generator for the reminder scan.
//   query: runs the store's claimReminders(now, 1000) — the scan itself — against the server's database
//          file (the server's own scan is an hour away): `repeats` times on a fresh connection each, as a
//          scan every 30 s finds SQLite's page cache, then `repeats` times on one warm connection.
//   job:   waits for the server's first `passes` reminder passes (QUN_REMINDER_SCAN_INTERVAL) and reads
//          their durations from qun_reminder_scan_seconds on /metrics: the first pass after start (code
//          not yet optimised by V8) apart from the passes after it.
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { main, mark, now, readPlan, sleep, summarise } from './common.ts';

interface Plan {
  mode: 'query' | 'job';
  url: string;
  dbFile: string;
  due: number;
  repeats: number;
  passes?: number;
}

function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

main(async () => {
  const plan = readPlan<Plan>();
  if (plan.mode === 'query') {
    const times = { cold: [] as number[], warm: [] as number[] };
    let found = 0;
    // A claim leases what it finds; a lease of 0 lets the next scan find the same rows again.
    const scan = async (store: Awaited<ReturnType<typeof openSqliteStore>>, into: number[]) => {
      const t = now();
      const rows = await store.delivery.claimReminders(Date.now(), 1000);
      into.push(now() - t);
      found = rows.length;
    };
    await mark('start');
    for (let i = 0; i < plan.repeats; i++) {
      const store = await openSqliteStore(plan.dbFile, { gateway: 'sim', leaseMs: 0 });
      await scan(store, times.cold);
      await store.close();
    }
    const store = await openSqliteStore(plan.dbFile, { gateway: 'sim', leaseMs: 0 });
    for (let i = 0; i < plan.repeats; i++) await scan(store, times.warm);
    await store.close();
    await mark('end');
    return {
      repeats: plan.repeats,
      found,
      coldMs: { ...summarise(times.cold), all: times.cold },
      warmMs: { ...summarise(times.warm), all: times.warm },
    };
  }
  await mark('start');
  const t0 = now();
  const passes = plan.passes ?? 1;
  // Polled every 50 ms against passes 2 s apart: the first pass's sum is read before the second ends.
  let first: { sum: number; count: number } | undefined;
  let text = '';
  while (now() - t0 < 60_000) {
    text = await (await fetch(`${plan.url}/metrics`)).text();
    const c = metric(text, 'qun_reminder_scan_seconds_count') ?? 0;
    if (c >= 1 && !first) first = { sum: metric(text, 'qun_reminder_scan_seconds_sum') ?? 0, count: c };
    if (c >= passes) break;
    await sleep(50);
  }
  await mark('end');
  const sum = metric(text, 'qun_reminder_scan_seconds_sum') ?? Number.NaN;
  const count = metric(text, 'qun_reminder_scan_seconds_count') ?? 0;
  const db = new Database(plan.dbFile, { readonly: true });
  const reminded = (
    db.prepare("SELECT count(*) AS n FROM trail WHERE rung = 'reminder'").get() as { n: number }
  ).n;
  db.close();
  const later =
    first && count > first.count ? ((sum - first.sum) * 1000) / (count - first.count) : Number.NaN;
  return {
    firstMs: first?.count === 1 ? first.sum * 1000 : Number.NaN,
    laterMs: later,
    passes: count,
    reminded,
  };
});
