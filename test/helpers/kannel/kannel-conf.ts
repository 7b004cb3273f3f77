// A throwaway kannel.conf for tests: bearerbox with two fake SMSCs on loopback (one that phones receive
// on, one that only injects texts from phones), smsbox with a sendsms-user and a get-url into Qun.
import fs from 'node:fs';
import path from 'node:path';

export interface KannelPorts {
  admin: number;
  smsbox: number;
  sendsms: number;
  /** The fake SMSC the long-running fakesmsc listens on: every MT text and Kannel reply goes here. */
  mt: number;
  /** The fake SMSC that texts from phones are injected on, one short-lived fakesmsc per text. */
  mo: number;
}

export interface KannelConfOptions {
  dir: string;
  ports: KannelPorts;
  adminPassword: string;
  username: string;
  password: string;
  /** Qun's base URL for the get-url, e.g. http://127.0.0.1:8080. */
  qunUrl: string;
  secret: string;
}

export function writeKannelConf(o: KannelConfOptions): string {
  const p = o.ports;
  const log = (name: string) => `"${path.join(o.dir, name)}"`;
  const getUrl = `${o.qunUrl}/v1/sms/kannel/inbound?secret=${o.secret}&from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I&ts=%T`;
  const conf = `# Written by test/helpers/kannel for one test run; deleted with its directory.
group = core
admin-port = ${p.admin}
admin-interface = 127.0.0.1
admin-password = ${o.adminPassword}
admin-allow-ip = "127.0.0.1"
smsbox-port = ${p.smsbox}
smsbox-interface = 127.0.0.1
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = ${log('bearerbox.log')}
log-level = 1
access-log = ${log('bearerbox-access.log')}
dlr-storage = internal
sms-resend-freq = 1

# No restrictions: MT texts, and any reply Kannel itself would make to a text from a phone, end here.
group = smsc
smsc = fake
smsc-id = mt
port = ${p.mt}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1

# Only injects texts from phones; nothing is routed out through it.
group = smsc
smsc = fake
smsc-id = mo
port = ${p.mo}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1
allowed-smsc-id = inject-only

group = smsbox
smsbox-id = qun
bearerbox-host = 127.0.0.1
bearerbox-port = ${p.smsbox}
sendsms-port = ${p.sendsms}
sendsms-interface = 127.0.0.1
http-request-retry = 3
http-queue-delay = 1
log-file = ${log('smsbox.log')}
log-level = 1
access-log = ${log('smsbox-access.log')}

# Without a route, texts from phones would stay in bearerbox when smsbox has an id.
group = smsbox-route
smsbox-id = qun
smsc-id = "mt;mo"

group = sendsms-user
username = ${o.username}
password = ${o.password}
max-messages = 10
concatenation = true
user-allow-ip = "127.0.0.1"

# Qun answers an empty 200 and texts its replies through sendsms: Kannel must never answer by itself.
group = sms-service
keyword = default
catch-all = true
get-url = "${getUrl}"
max-messages = 0
omit-empty = true
`;
  const file = path.join(o.dir, 'kannel.conf');
  fs.writeFileSync(file, conf, { mode: 0o600 });
  return file;
}
