// The command line: parses argv, loads the configuration and runs a command.
import { Command } from 'commander';
import { registerOps } from './cli-ops.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { SETTINGS } from './config/schema.ts';
import { releaseStartUpMemorySoon } from './util/start-up-memory.ts';

const program = new Command('qun').description(
  'Group messaging that reaches every member: live, mobile inbox, or SMS.',
);

program
  .command('serve', { isDefault: true })
  .description('run the server (configured by environment variables; see docs/configuration.md)')
  .action(async () => {
    const config = loadConfig();
    // Imported here: the other commands need none of the server.
    const { startServer } = await import('./server.ts');
    const server = await startServer({ config });
    releaseStartUpMemorySoon();
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\n${signal}: shutting down\n`);
      // A stop that hangs (a gateway that never answers) must still end within 10 s, as supervisors expect.
      setTimeout(() => {
        process.stderr.write(`${signal}: not stopped after 9.5 s, exiting anyway\n`);
        process.exit(1);
      }, 9500).unref();
      await server.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });

program
  .command('config')
  .description('print every setting with its environment name, default and reason')
  .action(() => {
    // `qun config | head` closes the pipe early; that is not an error.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => process.exit(e.code === 'EPIPE' ? 0 : 1));
    for (const s of Object.values(SETTINGS))
      process.stdout.write(`${s.env}=${s.default ?? ''}\n    ${s.why}\n`);
  });

registerOps(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`);
  else process.stderr.write(`qun: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
