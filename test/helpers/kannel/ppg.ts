// A throwaway Kannel push proxy gateway for tests: bearerbox with one fake SMSC, wapbox with its PPG
// (PAP over HTTP) and a wap-push-user, and fakesmsc recording what phones receive. Kannel 1.4.5 needs
// smsbox-port and a smsbox group in the core even when no smsbox runs, a wapbox group beside
// wapbox-port, and the push credentials in a wap-push-user group (not the ppg group).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../server.ts';
import { freePorts } from './ports.ts';
import { start, stop, until } from './procs.ts';

const BIN = {
  bearerbox: '/usr/sbin/bearerbox',
  wapbox: '/usr/sbin/wapbox',
  fakesmsc: '/usr/lib/kannel/test/fakesmsc',
};
const UP_MS = 15_000;

/** Whether the PPG tests can run; otherwise registers a test saying why (failing under CI). */
export function ppgInstalled(what: string): boolean {
  const missing = Object.entries(BIN).filter(([, f]) => !fs.existsSync(f));
  if (missing.length === 0) return true;
  const reason = `Kannel is not installed (missing ${missing.map(([n]) => n).join(', ')}): apt-get install -y kannel kannel-extras`;
  if (process.env.CI)
    test(`${what}: Kannel's wapbox is installed`, () => {
      throw new Error(`${reason}; CI must install it`);
    });
  else {
    process.stderr.write(`\n*** SKIPPING ${what}: ${reason} ***\n\n`);
    test(what, { skip: reason }, () => {});
  }
  return false;
}

/** One SMS as fakesmsc printed it: a binary one has its UDH and data as bytes. */
export interface PushedSms {
  from: string;
  to: string;
  kind: string;
  udh: Buffer;
  data: Buffer;
}

export interface KannelPpg {
  /** The PAP URL: QUN_WAP_PUSH_URL. */
  pushUrl: string;
  username: string;
  password: string;
  env: Record<string, string>;
  received(): PushedSms[];
  logTail(name: string, lines?: number): string;
  close(): Promise<void>;
}

export function writePpgConf(
  dir: string,
  p: { admin: number; smsbox: number; wapbox: number; mt: number; ppg: number },
  o: { adminPassword: string; username: string; password: string },
): string {
  const log = (name: string) => `"${path.join(dir, name)}"`;
  const conf = `# Written by test/helpers/kannel/ppg.ts for one test run; deleted with its directory.
group = core
admin-port = ${p.admin}
admin-interface = 127.0.0.1
admin-password = ${o.adminPassword}
admin-allow-ip = "127.0.0.1"
smsbox-port = ${p.smsbox}
wapbox-port = ${p.wapbox}
box-allow-ip = "127.0.0.1"
box-deny-ip = "*.*.*.*"
log-file = ${log('bearerbox.log')}
log-level = 1
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = mt
port = ${p.mt}
connect-allow-ip = 127.0.0.1

# Required by bearerbox once smsbox-port is set; no smsbox runs.
group = smsbox
bearerbox-host = 127.0.0.1

group = wapbox
bearerbox-host = 127.0.0.1
log-file = ${log('wapbox.log')}
log-level = 1

group = ppg
ppg-port = ${p.ppg}
ppg-url = /wappush
concurrent-pushes = 10
users = 10
ppg-allow-ip = "127.0.0.1"
trusted-pi = false

group = wap-push-user
wap-push-user = qun
ppg-username = ${o.username}
ppg-password = ${o.password}
allow-ip = "127.0.0.1"
`;
  const file = path.join(dir, 'kannel.conf');
  fs.writeFileSync(file, conf, { mode: 0o600 });
  return file;
}

const LINE = /Got message \d+: <(\S+) (\S+) (\S+) (.*)>\s*$/;

export function parsePushedSms(log: string): PushedSms[] {
  const out: PushedSms[] = [];
  for (const line of log.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, from = '', to = '', kind = '', rest = ''] = m;
    if (kind === 'udh') {
      const [udh = '', , data = ''] = rest.split(' ');
      out.push({ from, to, kind, udh: pct(udh), data: pct(data) });
    } else
      out.push({
        from,
        to,
        kind,
        udh: Buffer.alloc(0),
        data: kind === 'text' ? Buffer.from(rest) : pct(rest),
      });
  }
  return out;
}

/** fakesmsc writes bytes as %XX and spaces as '+'. */
function pct(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      out.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(s[i] === '+' ? 0x20 : s.charCodeAt(i));
  }
  return Buffer.from(out);
}

export async function startKannelPpg(): Promise<KannelPpg> {
  const dir = tempDir('qun-ppg-');
  const [admin, smsbox, wapbox, mt, ppg] = (await freePorts(5)) as [number, number, number, number, number];
  const adminPassword = randomBytes(8).toString('hex');
  const username = 'qun';
  const password = randomBytes(8).toString('hex');
  const conf = writePpgConf(dir, { admin, smsbox, wapbox, mt, ppg }, { adminPassword, username, password });
  const procs: ChildProcess[] = [];
  const tail = (name: string, lines = 30) => {
    const file = path.join(dir, name);
    return fs.existsSync(file)
      ? `--- ${name}\n${fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')}`
      : '';
  };
  const why = () => ['bearerbox.out', 'wapbox.out', 'fakesmsc.out'].map((n) => tail(n, 15)).join('\n');
  const status = async () => {
    const res = await fetch(`http://127.0.0.1:${admin}/status.txt?password=${adminPassword}`);
    return res.ok ? await res.text() : undefined;
  };
  const close = async () => {
    for (const c of procs.reverse()) await stop(c);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const mtLog = path.join(dir, 'fakesmsc.out');
  try {
    procs.push(start(BIN.bearerbox, [conf], path.join(dir, 'bearerbox.out')));
    await until(
      'bearerbox',
      async () => ((await status())?.includes('mt[mt]') ? true : undefined),
      UP_MS,
      why,
    );
    // wapbox and fakesmsc give up if they come too early: restarted until both are online.
    const needed: [string, string[], string][] = [
      [BIN.wapbox, [conf], path.join(dir, 'wapbox.out')],
      [BIN.fakesmsc, ['-H', '127.0.0.1', '-r', String(mt), '-m', '1', 'noop'], mtLog],
    ];
    const live = needed.map(([bin, args, out]) => start(bin, args, out));
    procs.push(...live);
    await until(
      'wapbox, its PPG and the fake SMSC',
      async () => {
        live.forEach((c, i) => {
          if (c.exitCode === null && c.signalCode === null) return;
          const [bin, args, out] = needed[i]!;
          live[i] = start(bin, args, out);
          procs.push(live[i]);
        });
        const s = (await status()) ?? '';
        if (!/wapbox/.test(s) || !/mt\[mt\]\s+FAKE:\d+ \(online/.test(s)) return undefined;
        // The PPG answers once wapbox is up: any HTTP status will do.
        return (await fetch(`http://127.0.0.1:${ppg}/`)).status > 0 ? true : undefined;
      },
      UP_MS,
      why,
    );
    const pushUrl = `http://127.0.0.1:${ppg}/wappush`;
    return {
      pushUrl,
      username,
      password,
      env: { QUN_WAP_PUSH_URL: pushUrl, QUN_WAP_PUSH_USERNAME: username, QUN_WAP_PUSH_PASSWORD: password },
      received: () => parsePushedSms(fs.readFileSync(mtLog, 'utf8')),
      logTail: tail,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
