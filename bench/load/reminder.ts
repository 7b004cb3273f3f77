// Load generator for the reminder scan.
//   query: runs the store's claimReminders(now, 1000) — the scan itself — against the server's database
//          file (the server's own scan is an hour away): `repeats` times on a fresh connection each, as a
//          scan every 30 s finds SQLite's page cache, then `repeats` times on one warm connection.
//   job:   waits for the server's first reminder pass (QUN_REMINDER_SCAN_INTERVAL) and reads its duration
//          from qun_reminder_scan_seconds on /metrics.
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { main, mark, now, readPlan, sleep, summarise } from './common.ts';

interface Plan {
  mode: 'query' | 'job';
  url: string;
  dbFile: string;
  due: number;
  repeats: number;
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
  let text = '';
  while (now() - t0 < 60_000) {
    text = await (await fetch(`${plan.url}/metrics`)).text();
    if ((metric(text, 'qun_reminder_scan_seconds_count') ?? 0) >= 1) break;
    await sleep(100);
  }
  await mark('end');
  const sum = metric(text, 'qun_reminder_scan_seconds_sum');
  const count = metric(text, 'qun_reminder_scan_seconds_count');
  const db = new Database(plan.dbFile, { readonly: true });
  const reminded = (
    db.prepare("SELECT count(*) AS n FROM trail WHERE rung = 'reminder'").get() as { n: number }
  ).n;
  db.close();
  return { jobMs: count ? ((sum ?? 0) * 1000) / count : Number.NaN, passes: count, reminded };
});
