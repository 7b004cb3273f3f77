// Child processes of a test, each in its own process group: stopped by the test, or killed when the
// test process exits however it exits, so no daemon outlives its test.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';

const running = new Set<ChildProcess>();
const killAll = () => {
  for (const c of running) killGroup(c, 'SIGKILL');
};
process.once('exit', killAll);
// A test run that is interrupted or timed out gets a signal: clean up, then die of it as before.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });

function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (c.pid) process.kill(-c.pid, signal);
  } catch {}
}

export async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode === null && c.signalCode === null) {
    const exited = new Promise((r) => c.once('exit', r));
    killGroup(c, 'SIGTERM');
    const t = setTimeout(() => killGroup(c, 'SIGKILL'), 1500);
    await exited;
    clearTimeout(t);
  }
  running.delete(c);
}

export function start(bin: string, args: string[], out: string): ChildProcess {
  const fd = fs.openSync(out, 'a');
  const c = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  running.add(c);
  c.once('exit', () => running.delete(c));
  return c;
}

export async function until<T>(what: string, f: () => Promise<T | undefined>, ms: number, why: () => string) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`Kannel: timed out waiting for ${what}\n${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
