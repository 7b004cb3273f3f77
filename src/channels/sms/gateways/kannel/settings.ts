// Kannel gateway settings (read only when QUN_SMS_GATEWAY=kannel), parsed into one typed object.
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { duration, int, parseSettings, type Setting, s } from '../../../../config/setting.ts';

// Unreserved URL characters only: the secret is pasted unencoded into Kannel's get-url and our dlr-url,
// where Kannel would read an escape such as %A1 as its own %A (the DLR answer) and mangle it.
const SECRET = /^[A-Za-z0-9._~-]{16,128}$/;

const allowList = z.string().transform((v, ctx) => {
  const list = new BlockList();
  const bad: string[] = [];
  for (const entry of v.split(',').map((e) => e.trim())) {
    if (!entry) continue;
    const [addr = '', bits, extra] = entry.split('/');
    const family = isIP(addr);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (family === 0 || extra !== undefined) bad.push(entry);
    else if (bits === undefined) list.addAddress(addr, type);
    else if (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
      list.addSubnet(addr, Number(bits), type);
    else bad.push(entry);
  }
  if (bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `not an IP address or CIDR: ${bad.join(', ')}` });
    return z.NEVER;
  }
  return list;
});

export const KANNEL_SETTINGS: Record<string, Setting> = {
  sendsmsUrl: s(
    'QUN_KANNEL_SENDSMS_URL',
    undefined,
    "required: smsbox's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms",
    z.url({ protocol: /^https?$/, error: 'required: an http(s) URL' }),
  ),
  username: s(
    'QUN_KANNEL_USERNAME',
    undefined,
    'required: the username of the sendsms-user group',
    z.string({ error: 'required' }).min(1),
  ),
  password: s(
    'QUN_KANNEL_PASSWORD',
    undefined,
    'required: the password of the sendsms-user group',
    z.string({ error: 'required' }).min(1),
  ),
  smsc: s(
    'QUN_KANNEL_SMSC',
    undefined,
    'no default: Kannel routes by its own rules; set an smsc-id to pin Qun texts to one SMSC',
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'an smsc-id (letters, digits, . _ -)')
      .optional(),
  ),
  dlrMask: s(
    'QUN_KANNEL_DLR_MASK',
    '27',
    'delivered (1), failed (2), SMSC ack (8) and SMSC reject (16); buffered (4) is an intermediate state Qun ignores',
    int(0, 31),
  ),
  inboundSecret: s(
    'QUN_KANNEL_INBOUND_SECRET',
    undefined,
    'required: shared secret on the get-url and dlr-url (16+ characters of A-Z a-z 0-9 . _ ~ -)',
    z
      .string({ error: 'required' })
      .regex(SECRET, '16 to 128 characters of A-Z a-z 0-9 . _ ~ - (it goes into URLs unencoded)'),
  ),
  allowFrom: s(
    'QUN_KANNEL_ALLOW_FROM',
    '127.0.0.1,::1',
    'only the smsbox host may call the webhooks; list its addresses or CIDRs, comma-separated',
    allowList,
  ),
  callbackUrl: s(
    'QUN_KANNEL_CALLBACK_URL',
    undefined,
    'the base URL smsbox uses to reach Qun for delivery reports; defaults to QUN_PUBLIC_URL (set it when smsbox should not go through the public proxy)',
    z
      .url({ protocol: /^https?$/, error: 'an http(s) URL is required' })
      .refine((u) => !u.includes('%'), 'no % escapes: Kannel would read them as its own')
      .optional(),
  ),
  timeout: s('QUN_KANNEL_TIMEOUT', '10s', 'a sendsms call that hangs longer is retried later', duration),
};

export interface KannelSettings {
  sendsmsUrl: string;
  username: string;
  password: string;
  smsc: string | undefined;
  dlrMask: number;
  inboundSecret: string;
  allowFrom: BlockList;
  callbackUrl: string | undefined;
  timeout: number;
}

/** Parses the Kannel settings, throwing one Error that lists every problem. */
export function parseKannelSettings(env: Record<string, string | undefined>): KannelSettings {
  const { values, problems } = parseSettings(KANNEL_SETTINGS, env);
  if (problems.length > 0) throw new Error(`Kannel gateway settings:\n  ${problems.join('\n  ')}`);
  return values as unknown as KannelSettings;
}
