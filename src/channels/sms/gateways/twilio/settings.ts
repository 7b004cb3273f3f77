// Twilio gateway settings (read only when QUN_SMS_GATEWAY=twilio).
import { z } from 'zod';
import { duration, parseSettings, type Setting, s } from '../../../../config/setting.ts';

const url = z.string().url('an absolute URL such as https://api.twilio.com');
/** A setting with no default that the twilio gateway cannot run without. */
const required = () => z.string({ error: 'required with QUN_SMS_GATEWAY=twilio' });

export const TWILIO_SETTINGS: Record<string, Setting> = {
  baseUrl: s(
    'QUN_TWILIO_BASE_URL',
    'https://api.twilio.com',
    "Twilio's REST API; set it to reach a compatible provider or a local fake",
    url,
  ),
  accountSid: s(
    'QUN_TWILIO_ACCOUNT_SID',
    undefined,
    'required with the twilio gateway: the account (AC…) texts are sent from',
    required().regex(/^AC[0-9a-fA-F]{32}$/, 'AC followed by 32 hex digits'),
  ),
  authToken: s(
    'QUN_TWILIO_AUTH_TOKEN',
    undefined,
    "required with the twilio gateway: the account's auth token, also the key that webhook signatures are checked with",
    required().min(8, 'at least 8 characters'),
  ),
  from: s(
    'QUN_TWILIO_FROM',
    undefined,
    'required with the twilio gateway: the one sender (E.164 number, short code, alphanumeric ID) or a Messaging Service SID (MG…); every text goes out from it',
    required().regex(
      /^(\+[1-9]\d{1,14}|\d{3,8}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}|MG[0-9a-fA-F]{32})$/,
      'an E.164 number (+…), a short code, an alphanumeric sender ID or a Messaging Service SID (MG…)',
    ),
  ),
  webhookUrl: s(
    'QUN_TWILIO_WEBHOOK_URL',
    undefined,
    'the public base URL Twilio calls (inbound and status webhooks), exactly as Twilio signs it; defaults to QUN_PUBLIC_URL',
    url.optional(),
  ),
  webhookSharedKey: s(
    'QUN_TWILIO_WEBHOOK_SHARED_KEY',
    undefined,
    'the SharedKey secret for webhooks Twilio signs with a SharedKey (HMAC-SHA256, X-Twilio-Webhooks-Signature-Settings); unset, the auth token is tried',
    z.string().min(8, 'at least 8 characters').optional(),
  ),
  timeout: s(
    'QUN_TWILIO_TIMEOUT',
    '10s',
    'a submit that takes longer is retried (Twilio may still have it: the queue counts a possible duplicate)',
    duration,
  ),
};

export interface TwilioSettings {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** A plain sender, or undefined when sending through a Messaging Service. */
  from: string | undefined;
  messagingServiceSid: string | undefined;
  /** Base URL of Qun as Twilio sees it, no trailing slash. */
  webhookBase: string;
  webhookSharedKey: string | undefined;
  timeoutMs: number;
}

/** Reads and checks the settings; throws one Error listing every problem. */
export function readTwilioSettings(
  env: Record<string, string | undefined>,
  publicUrl: string,
): TwilioSettings {
  const { values, problems } = parseSettings(TWILIO_SETTINGS, env);
  if (problems.length > 0) throw new Error(`invalid twilio gateway settings:\n  ${problems.join('\n  ')}`);
  const v = values as {
    baseUrl: string;
    accountSid: string;
    authToken: string;
    from: string;
    webhookUrl: string | undefined;
    webhookSharedKey: string | undefined;
    timeout: number;
  };
  const service = /^MG/.test(v.from);
  return {
    baseUrl: v.baseUrl.replace(/\/+$/, ''),
    accountSid: v.accountSid,
    authToken: v.authToken,
    from: service ? undefined : v.from,
    messagingServiceSid: service ? v.from : undefined,
    webhookBase: (v.webhookUrl ?? publicUrl).replace(/\/+$/, ''),
    webhookSharedKey: v.webhookSharedKey,
    timeoutMs: v.timeout,
  };
}
