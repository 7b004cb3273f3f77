// A throwaway Kannel whose bearerbox speaks SMPP to an SMSC (the project's own SMSC simulator), as an
// operator connects Kannel to a carrier: receipts then come from real SMPP deliver_sm, and Kannel turns
// them into its own DLR types (1, 2, 4, 8, 16) on the dlr-url. smsbox serves sendsms.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../server.ts';
import { freePorts } from './ports.ts';
import { start, stop, until } from './procs.ts';

const UP_MS = 15_000;

export interface KannelOverSmpp {
  env: Record<string, string>;
  logTail(name: string, lines?: number): string;
  close(): Promise<void>;
}

export async function startKannelOverSmpp(o: {
  qunUrl: string;
  smscPort: number;
  systemId: string;
  password: string;
}): Promise<KannelOverSmpp> {
  const dir = tempDir('qun-kannel-smpp-');
  const [admin, smsbox, sendsms] = (await freePorts(3)) as [number, number, number];
  const adminPassword = randomBytes(8).toString('hex');
  const password = randomBytes(8).toString('hex');
  const secret = randomBytes(16).toString('hex');
  const log = (name: string) => `"${path.join(dir, name)}"`;
  const conf = path.join(dir, 'kannel.conf');
  fs.writeFileSync(
    conf,
    `group = core
admin-port = ${admin}
admin-interface = 127.0.0.1
admin-password = ${adminPassword}
admin-allow-ip = "127.0.0.1"
smsbox-port = ${smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
box-deny-ip = "*.*.*.*"
log-file = ${log('bearerbox.log')}
log-level = 1
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = smpp
host = 127.0.0.1
port = ${o.smscPort}
transceiver-mode = true
smsc-username = ${o.systemId}
smsc-password = ${o.password}
system-type = ""
source-addr-ton = 0
source-addr-npi = 1
dest-addr-ton = 1
dest-addr-npi = 1
msg-id-type = 0x00

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${smsbox}
sendsms-port = ${sendsms}
sendsms-interface = 127.0.0.1
log-file = ${log('smsbox.log')}
log-level = 1

group = sendsms-user
username = qun
password = ${password}
max-messages = 10
concatenation = true
user-allow-ip = "127.0.0.1"

group = sms-service
keyword = default
catch-all = true
get-url = "${o.qunUrl}/v1/sms/kannel/inbound?secret=${secret}&from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I"
max-messages = 0
omit-empty = true
`,
    { mode: 0o600 },
  );
  const procs: ChildProcess[] = [];
  const tail = (name: string, lines = 30) => {
    const file = path.join(dir, name);
    return fs.existsSync(file)
      ? `--- ${name}\n${fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')}`
      : '';
  };
  const why = () => ['bearerbox.out', 'bearerbox.log', 'smsbox.out'].map((n) => tail(n, 15)).join('\n');
  const status = async () => {
    const res = await fetch(`http://127.0.0.1:${admin}/status.txt?password=${adminPassword}`);
    return res.ok ? await res.text() : undefined;
  };
  const close = async () => {
    for (const c of procs.reverse()) await stop(c);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    procs.push(start('/usr/sbin/bearerbox', [conf], path.join(dir, 'bearerbox.out')));
    await until(
      'bearerbox bound to the SMSC',
      async () => (/smpp\[smpp\]\s+SMPP:\S+ \(online/.test((await status()) ?? '') ? true : undefined),
      UP_MS,
      why,
    );
    let box = start('/usr/sbin/smsbox', [conf], path.join(dir, 'smsbox.out'));
    procs.push(box);
    await until(
      'smsbox',
      async () => {
        if (box.exitCode !== null || box.signalCode !== null) {
          box = start('/usr/sbin/smsbox', [conf], path.join(dir, 'smsbox.out'));
          procs.push(box);
        }
        return (await fetch(`http://127.0.0.1:${sendsms}/`)).status > 0 ? true : undefined;
      },
      UP_MS,
      why,
    );
    return {
      env: {
        QUN_KANNEL_SENDSMS_URL: `http://127.0.0.1:${sendsms}/cgi-bin/sendsms`,
        QUN_KANNEL_USERNAME: 'qun',
        QUN_KANNEL_PASSWORD: password,
        QUN_KANNEL_INBOUND_SECRET: secret,
      },
      logTail: tail,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
