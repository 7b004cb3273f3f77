// The operator's commands beside `serve`: migrate, backup, copy-store, retention, export and erasure of
// one member's data. Each opens the configured store, does one thing, prints progress on stderr and its
// result on stdout, and exits non-zero with a clear message when it cannot.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { type Config, loadConfig } from './config/config.ts';
import { systemClock } from './core/clock.ts';
import { normalisePhone } from './domain/phone.ts';
import { RetentionJob } from './scheduler/retention-job.ts';
import { storeOptions } from './server-parts.ts';
import { openStore } from './store/open-store.ts';
import { backupSqlite, pgDumpCommand } from './store/ops/backup.ts';
import type { Store } from './store/store.ts';

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function withStore<T>(config: Config, body: (s: Store) => Promise<T>): Promise<T> {
  // Not the serving node's id: `qun prune` on a node's host must not join that node's retention lease.
  const store = await openStore({ ...storeOptions(config), nodeId: `${config.nodeId}.cli` });
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

function phoneArg(input: string, config: Config): string {
  const p = normalisePhone(input, config.defaultRegion);
  if (!p) throw new Error(`not a phone number: ${JSON.stringify(input)}`);
  return p;
}

async function schemaVersion(config: Config): Promise<number> {
  if (config.databaseUrl) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: config.databaseUrl });
    await c.connect();
    try {
      const r = await c.query("SELECT to_regclass('qun_schema') IS NOT NULL AS ok");
      if (!r.rows[0].ok) return 0;
      return (await c.query('SELECT coalesce(max(version), 0)::int AS v FROM qun_schema')).rows[0].v;
    } finally {
      await c.end();
    }
  }
  const file = path.join(config.dataDir, 'qun.db');
  if (!fs.existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

export function registerOps(program: Command): void {
  program
    .command('migrate')
    .description('bring the store to this release’s schema (serve does this too, at start)')
    .action(async () => {
      const config = loadConfig();
      const from = await schemaVersion(config);
      const where = await withStore(config, async (s) => s.location);
      const to = await schemaVersion(config);
      process.stdout.write(
        from === to
          ? `${where}: schema is at version ${to}, nothing to do\n`
          : `${where}: schema migrated from version ${from} to ${to}\n`,
      );
    });

  program
    .command('backup <file>')
    .description('a consistent copy of the SQLite store, taken while Qun runs (PostgreSQL: use pg_dump)')
    .action(async (file: string) => {
      const config = loadConfig();
      if (config.databaseUrl) {
        const { redact } = await import('./store/postgres/pg-store.ts');
        throw new Error(
          `the store is on PostgreSQL: back it up with pg_dump, e.g.\n  ${pgDumpCommand(redact(config.databaseUrl), file)}\n(see docs/deployment.md#backups)`,
        );
      }
      const { pages } = await backupSqlite(path.join(config.dataDir, 'qun.db'), file, progress);
      process.stdout.write(`backed up ${pages} pages to ${path.resolve(file)}\n`);
    });

  program
    .command('copy-store')
    .description('copy an SQLite store into an empty PostgreSQL database (to grow to several nodes)')
    .option('--from <file>', 'the SQLite file (default: QUN_DATA_DIR/qun.db)')
    .requiredOption('--to <url>', 'the PostgreSQL URL of an empty database')
    .action(async (o: { from?: string; to: string }) => {
      const config = loadConfig();
      const from = o.from ?? path.join(config.dataDir, 'qun.db');
      if (!fs.existsSync(from)) throw new Error(`no SQLite store at ${from}`);
      if (!/^postgres(ql)?:\/\//.test(o.to))
        throw new Error('--to must be a postgres:// or postgresql:// URL');
      const { copyStore } = await import('./store/ops/copy-store.ts');
      const report = await copyStore({ from, to: o.to, progress });
      const rows = report.tables.reduce((n, t) => n + t.rows, 0);
      process.stdout.write(
        `copied ${rows} rows in ${report.tables.length} tables; now set QUN_DATABASE_URL\n`,
      );
    });

  program
    .command('retention <appNumber> <groupNumber> <days>')
    .description('keep a group’s history this many days (0: forever; "default": QUN_RETENTION_DAYS)')
    .action(async (app: string, number: string, daysArg: string) => {
      const days = daysArg === 'default' ? null : Number(daysArg);
      if (days !== null && !(Number.isInteger(days) && days >= 0 && days <= 36_500))
        throw new Error(
          `days must be a whole number from 0 to 36500, or "default"; got ${JSON.stringify(daysArg)}`,
        );
      const config = loadConfig();
      await withStore(config, async (s) => {
        const g = await s.groups.byNumber(app, number);
        if (!g) throw new Error(`no group ${number} in app ${app}`);
        await s.maintenance.setRetention(g.id, days);
        process.stdout.write(
          `group ${app}/${number}: history kept ${days === null ? `${config.retentionDays} days (the default)` : `${days} days`}${(days ?? config.retentionDays) === 0 ? ' (forever)' : ''}\n`,
        );
      });
    });

  program
    .command('prune')
    .description('run history retention now (serve runs it every QUN_RETENTION_INTERVAL)')
    .action(async () => {
      const config = loadConfig();
      const total = await withStore(config, (store) =>
        new RetentionJob({
          store,
          clock: systemClock,
          defaultDays: config.retentionDays,
          log: { info() {} },
          leaseMs: config.lease,
        }).run(progress),
      );
      process.stdout.write(`deleted ${total} messages\n`);
    });

  program
    .command('export-member <phone>')
    .description('print, as JSON, everything the store holds about one phone number')
    .action(async (input: string) => {
      const config = loadConfig();
      const phone = phoneArg(input, config);
      const data = await withStore(config, (s) => s.maintenance.exportMember(phone));
      if (!data) throw new Error(`no member with the number ${phone}`);
      process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    });

  program
    .command('erase-member <phone>')
    .description('erase one phone number’s data (docs/deployment.md#data-protection); needs --yes')
    .option('--yes', 'really erase: this cannot be undone')
    .action(async (input: string, o: { yes?: boolean }) => {
      const config = loadConfig();
      const phone = phoneArg(input, config);
      if (!o.yes)
        throw new Error(`erasing ${phone} cannot be undone: run again with --yes (export-member first?)`);
      const report = await withStore(config, (s) => s.maintenance.eraseMember(phone, Date.now()));
      if (!report) throw new Error(`no member with the number ${phone}`);
      process.stdout.write(`${JSON.stringify({ phone, ...report }, null, 2)}\n`);
    });
}
