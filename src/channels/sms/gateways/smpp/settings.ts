// SMPP gateway settings (read only when QUN_SMS_GATEWAY=smpp), and their parsing into typed values.
import { z } from 'zod';
import { SETTINGS } from '../../../../config/schema.ts';
import { bool, duration, int, parseSettings, type Setting, s } from '../../../../config/setting.ts';

// Field sizes are SMPP 3.4 C-Octet String maxima less the terminating NUL.
const text = (max: number) => z.string().max(max).default('');
const ton = int(0, 6);
const npi = int(0, 18);

export const SMPP_SETTINGS: Record<string, Setting> = {
  host: s(
    'QUN_SMPP_HOST',
    '127.0.0.1',
    'the SMSC or an SMPP proxy next to Qun; set the host your provider gave you',
    z.string().min(1),
  ),
  port: s('QUN_SMPP_PORT', '2775', 'the IANA port for SMPP', int(1, 65535)),
  systemId: s(
    'QUN_SMPP_SYSTEM_ID',
    undefined,
    'no default: the account (system_id) your SMSC gave you; required when QUN_SMS_GATEWAY=smpp',
    z
      .string({ error: (i) => (i.input === undefined ? 'required when QUN_SMS_GATEWAY=smpp' : undefined) })
      .min(1)
      .max(15),
  ),
  // No max() here: parseSettings quotes a refused value, and a password must not reach the logs.
  password: s(
    'QUN_SMPP_PASSWORD',
    '',
    'the bind password from your SMSC (at most 8 characters)',
    z.string().default(''),
  ),
  systemType: s(
    'QUN_SMPP_SYSTEM_TYPE',
    '',
    'most SMSCs ignore system_type; set it only if yours asks for one',
    text(12),
  ),
  addressRange: s(
    'QUN_SMPP_ADDRESS_RANGE',
    '',
    'empty lets the SMSC route every MO text of the account to this bind',
    text(40),
  ),
  window: s(
    'QUN_SMPP_WINDOW',
    '10',
    'submits awaiting a response at once; 10 is a common SMSC limit per bind',
    int(1, 1000),
  ),
  enquireLink: s(
    'QUN_SMPP_ENQUIRE_LINK',
    '30s',
    'keep-alive well inside the 60 s idle timeouts of SMSCs and NAT boxes; a dead link is found within one interval',
    duration,
  ),
  reconnectMax: s(
    'QUN_SMPP_RECONNECT_MAX',
    '30s',
    'reconnects start at 0.5 s and double with jitter up to this cap: quick after a blip, gentle in an outage',
    duration,
  ),
  responseTimeout: s(
    'QUN_SMPP_RESPONSE_TIMEOUT',
    '10s',
    'SMSCs answer in milliseconds; a submit unanswered this long is requeued (it may have gone: at-least-once)',
    duration,
  ),
  bindTimeout: s(
    'QUN_SMPP_BIND_TIMEOUT',
    '15s',
    'start-up waits this long for the first bind, then fails naming the SMSC and the error instead of hanging',
    duration,
  ),
  sourceTon: s(
    'QUN_SMPP_SOURCE_TON',
    '0',
    'group addresses are access codes (10658…), neither international nor subscriber numbers: 0 (unknown) lets the SMSC take the digits as they are; some SMSCs want 3 (network specific) for short codes',
    ton,
  ),
  sourceNpi: s(
    'QUN_SMPP_SOURCE_NPI',
    '1',
    'ISDN/E.164 numbering, what SMSCs expect for digit addresses',
    npi,
  ),
  destTon: s(
    'QUN_SMPP_DEST_TON',
    '1',
    'members are stored in E.164, so they are sent as international numbers (country code, no +); 2 sends the national number',
    ton,
  ),
  destNpi: s('QUN_SMPP_DEST_NPI', '1', 'ISDN/E.164 numbering, matching international mobile numbers', npi),
  udh16: s(
    'QUN_SMPP_UDH16',
    'false',
    '8-bit concatenation references work on every handset; 16-bit ones cost a character per part',
    bool,
  ),
  registeredDelivery: s(
    'QUN_SMPP_REGISTERED_DELIVERY',
    'true',
    'delivery receipts show members as reached or not; turn off if your SMSC charges for them',
    bool,
  ),
};

export interface SmppSettings {
  host: string;
  port: number;
  systemId: string;
  password: string;
  systemType: string;
  addressRange: string;
  window: number;
  enquireLink: number;
  reconnectMax: number;
  responseTimeout: number;
  bindTimeout: number;
  sourceTon: number;
  sourceNpi: number;
  destTon: number;
  destNpi: number;
  udh16: boolean;
  registeredDelivery: boolean;
  /** QUN_SMS_TPS, shared with the queue: the SMSC counts every submit_sm, so the gateway paces PDUs too. */
  tps: number;
}

/** Parses the SMPP settings (and the shared QUN_SMS_TPS); throws one Error listing every problem. */
export function readSmppSettings(env: Record<string, string | undefined>): SmppSettings {
  const { values, problems } = parseSettings({ ...SMPP_SETTINGS, tps: SETTINGS.smsTps }, env);
  if (typeof values.password === 'string' && values.password.length > 8)
    problems.push('QUN_SMPP_PASSWORD: at most 8 characters (the SMPP 3.4 limit); value not shown');
  if (problems.length > 0) throw new Error(`invalid SMPP gateway configuration:\n  ${problems.join('\n  ')}`);
  return values as unknown as SmppSettings;
}
