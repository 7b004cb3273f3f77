// Runs a throwaway Kannel for a test: bearerbox, smsbox and fakesmsc on free loopback ports in a temp
// dir, each in its own process group so that close() (or the test process exiting) ends all of them.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../server.ts';
import { parseFakesmscLog, type ReceivedText } from './fakesmsc-log.ts';
import { type KannelPorts, writeKannelConf } from './kannel-conf.ts';
import { freePorts } from './ports.ts';
import { start, stop, until } from './procs.ts';

const SEARCH = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/lib/kannel/test'];
const UP_MS = 15_000;

function which(name: string): string | undefined {
  for (const dir of SEARCH) {
    const file = path.join(dir, name);
    if (dir && fs.existsSync(file)) return file;
  }
  return undefined;
}

const BINARIES = { bearerbox: which('bearerbox'), smsbox: which('smsbox'), fakesmsc: which('fakesmsc') };

/**
 * Whether the Kannel tests can run. When they cannot, this registers a test that says why: skipped with
 * the reason on a developer machine, failed under CI (where a missing package is a broken set-up).
 */
export function kannelInstalled(what: string): boolean {
  const missing = Object.entries(BINARIES).filter(([, file]) => !file);
  if (missing.length === 0) return true;
  const reason = `Kannel is not installed (missing ${missing.map(([n]) => n).join(', ')}): apt-get install -y kannel kannel-extras`;
  if (process.env.CI) {
    test(`${what}: Kannel binaries are installed`, () => {
      throw new Error(`${reason}; CI must install them`);
    });
  } else {
    process.stderr.write(`\n*** SKIPPING ${what}: ${reason} ***\n\n`);
    test(what, { skip: reason }, () => {});
  }
  return false;
}

export interface Kannel {
  dir: string;
  sendsmsUrl: string;
  username: string;
  password: string;
  secret: string;
  /** The QUN_KANNEL_* settings that point Qun at this Kannel. */
  env: Record<string, string>;
  /** A text from a phone, injected at the fake SMSC; resolves once bearerbox has it. */
  sendMo(from: string, to: string, text: string): Promise<void>;
  /** Texts the phones received so far (reassembled), in the order they were completed. */
  received(): Promise<ReceivedText[]>;
  /** Lines of a Kannel log in the temp dir, for failure messages. */
  logTail(name: string, lines?: number): string;
  close(): Promise<void>;
}

export async function startKannel(o: { qunUrl: string; secret?: string }): Promise<Kannel> {
  const dir = tempDir('qun-kannel-');
  const [admin, smsbox, sendsms, mt, mo] = (await freePorts(5)) as [number, number, number, number, number];
  const ports: KannelPorts = { admin, smsbox, sendsms, mt, mo };
  const adminPassword = randomBytes(8).toString('hex');
  const username = 'qun';
  const password = randomBytes(8).toString('hex');
  const secret = o.secret ?? randomBytes(16).toString('hex');
  const conf = writeKannelConf({ dir, ports, adminPassword, username, password, qunUrl: o.qunUrl, secret });
  const procs: ChildProcess[] = [];
  const tail = (name: string, lines = 30) => {
    const file = path.join(dir, name);
    return fs.existsSync(file)
      ? `--- ${name}\n${fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')}`
      : '';
  };
  const why = () =>
    ['bearerbox.out', 'bearerbox.log', 'smsbox.out', 'smsbox.log', 'fakesmsc.out']
      .map((n) => tail(n, 15))
      .join('\n');
  const status = async () => {
    const res = await fetch(`http://127.0.0.1:${admin}/status.txt?password=${adminPassword}`);
    return res.ok ? await res.text() : undefined;
  };
  const moReceived = async () => {
    const n = /^\s*mo\[mo\].*?rcvd: sms (\d+)/m.exec((await status()) ?? '')?.[1];
    return n === undefined ? undefined : Number(n);
  };

  const close = async () => {
    for (const c of procs.reverse()) await stop(c);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const mtLog = path.join(dir, 'fakesmsc.out');
  try {
    procs.push(start(BINARIES.bearerbox!, [conf], path.join(dir, 'bearerbox.out')));
    // The SMSC listeners and the smsbox port open a moment after the admin port does.
    await until(
      'bearerbox',
      async () => ((await status())?.includes('mt[mt]') ? true : undefined),
      UP_MS,
      why,
    );
    // smsbox and fakesmsc give up if they come too early; they are restarted until all is online. The
    // receiving fakesmsc must send one line before it listens: bearerbox drops this invalid one.
    const needed: [string, string[], string][] = [
      [BINARIES.smsbox!, [conf], path.join(dir, 'smsbox.out')],
      [BINARIES.fakesmsc!, ['-H', '127.0.0.1', '-r', String(mt), '-m', '1', 'noop'], mtLog],
    ];
    const live = needed.map(([bin, args, out]) => start(bin, args, out));
    procs.push(...live);
    await until(
      'smsbox and the fake SMSC',
      async () => {
        live.forEach((c, i) => {
          if (c.exitCode === null && c.signalCode === null) return;
          const [bin, args, out] = needed[i]!;
          live[i] = start(bin, args, out);
          procs.push(live[i]);
        });
        const s = (await status()) ?? '';
        return s.includes('smsbox:qun') && /mt\[mt\]\s+FAKE:\d+ \(online/.test(s) ? true : undefined;
      },
      UP_MS,
      why,
    );
    await until(
      'sendsms',
      async () => ((await fetch(`http://127.0.0.1:${sendsms}/`)).status > 0 ? true : undefined),
      UP_MS,
      why,
    );

    let moChain: Promise<void> = Promise.resolve();
    const injectOne = async (from: string, to: string, text: string) => {
      const before = await until(
        'the bearerbox status',
        async () => (await moReceived()) ?? undefined,
        UP_MS,
        why,
      );
      // Plain ASCII goes as-is (Kannel reads it as UTF-8 GSM text); anything else as UCS-2, as a phone would.
      const line = /^[\x20-\x7e]*$/.test(text)
        ? `${from} ${to} text ${text}`
        : `${from} ${to} ucs2 ${[...Buffer.from(text, 'utf16le').swap16()].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`;
      const c = start(
        BINARIES.fakesmsc!,
        ['-H', '127.0.0.1', '-r', String(mo), '-m', '1', line],
        path.join(dir, 'fakesmsc-mo.out'),
      );
      try {
        await until(
          'bearerbox to take the text from the phone',
          async () => (((await moReceived()) ?? -1) > before ? true : undefined),
          UP_MS,
          why,
        );
      } finally {
        // It would wait forever for texts back; the fake SMSC takes the next phone only once it is gone.
        await stop(c);
      }
    };
    return {
      dir,
      sendsmsUrl: `http://127.0.0.1:${sendsms}/cgi-bin/sendsms`,
      username,
      password,
      secret,
      env: {
        QUN_KANNEL_SENDSMS_URL: `http://127.0.0.1:${sendsms}/cgi-bin/sendsms`,
        QUN_KANNEL_USERNAME: username,
        QUN_KANNEL_PASSWORD: password,
        QUN_KANNEL_INBOUND_SECRET: secret,
      },
      sendMo(from, to, text) {
        const next = moChain.then(() => injectOne(from, to, text));
        moChain = next.catch(() => {});
        return next;
      },
      async received() {
        return parseFakesmscLog(fs.readFileSync(mtLog, 'utf8'));
      },
      logTail: tail,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
