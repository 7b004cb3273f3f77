// Quiet hours in the member's own time zone: whether a moment falls in the window and when it ends, and the
// zone a phone number's region implies. Pure (Intl's zone data is the only thing read).
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { QuietHours } from './policy.ts';

// One zone per region, where the region has one (or one where most people live): a member elsewhere in
// a multi-zone country (US, CA, AU, BR, RU…) sets theirs with `QUIET 22-7 America/Denver` or the API.
const REGION_ZONE: Readonly<Record<string, string>> = {
  CN: 'Asia/Shanghai',
  HK: 'Asia/Hong_Kong',
  MO: 'Asia/Macau',
  TW: 'Asia/Taipei',
  SG: 'Asia/Singapore',
  JP: 'Asia/Tokyo',
  KR: 'Asia/Seoul',
  IN: 'Asia/Kolkata',
  PK: 'Asia/Karachi',
  BD: 'Asia/Dhaka',
  PH: 'Asia/Manila',
  ID: 'Asia/Jakarta',
  VN: 'Asia/Ho_Chi_Minh',
  TH: 'Asia/Bangkok',
  MY: 'Asia/Kuala_Lumpur',
  NP: 'Asia/Kathmandu',
  LK: 'Asia/Colombo',
  AE: 'Asia/Dubai',
  SA: 'Asia/Riyadh',
  IL: 'Asia/Jerusalem',
  TR: 'Europe/Istanbul',
  GB: 'Europe/London',
  IE: 'Europe/Dublin',
  PT: 'Europe/Lisbon',
  ES: 'Europe/Madrid',
  FR: 'Europe/Paris',
  BE: 'Europe/Brussels',
  NL: 'Europe/Amsterdam',
  DE: 'Europe/Berlin',
  CH: 'Europe/Zurich',
  AT: 'Europe/Vienna',
  IT: 'Europe/Rome',
  DK: 'Europe/Copenhagen',
  SE: 'Europe/Stockholm',
  NO: 'Europe/Oslo',
  FI: 'Europe/Helsinki',
  PL: 'Europe/Warsaw',
  CZ: 'Europe/Prague',
  GR: 'Europe/Athens',
  UA: 'Europe/Kyiv',
  RU: 'Europe/Moscow',
  EG: 'Africa/Cairo',
  NG: 'Africa/Lagos',
  KE: 'Africa/Nairobi',
  UG: 'Africa/Kampala',
  TZ: 'Africa/Dar_es_Salaam',
  GH: 'Africa/Accra',
  ZA: 'Africa/Johannesburg',
  ET: 'Africa/Addis_Ababa',
  US: 'America/New_York',
  CA: 'America/Toronto',
  MX: 'America/Mexico_City',
  BR: 'America/Sao_Paulo',
  AR: 'America/Argentina/Buenos_Aires',
  CL: 'America/Santiago',
  CO: 'America/Bogota',
  PE: 'America/Lima',
  AU: 'Australia/Sydney',
  NZ: 'Pacific/Auckland',
};

/** The zone of the number's region; UTC when the region is unknown or has no entry. */
// A number's zone never changes and parsing one costs microseconds: kept per number (bounded).
const zoneOf = new Map<string, string>();

export function zoneForPhone(phone: string): string {
  let zone = zoneOf.get(phone);
  if (zone === undefined) {
    const region = parsePhoneNumberFromString(phone)?.country;
    zone = (region && REGION_ZONE[region]) || 'UTC';
    if (zoneOf.size >= 100_000) zoneOf.clear();
    zoneOf.set(phone, zone);
  }
  return zone;
}

/** Whether a zone name is one Intl knows (checked before it is stored). */
export function isTimeZone(zone: string): boolean {
  return canonicalZone(zone) !== null;
}

/** The zone's canonical spelling ("europe/berlin" → "Europe/Berlin"), or null for an unknown zone. */
export function canonicalZone(zone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function localClock(now: number, zone: string): { h: number; m: number; s: number } {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(now).map((p) => [p.type, p.value]));
  return { h: Number(parts.hour), m: Number(parts.minute), s: Number(parts.second) };
}

/**
 * When the quiet window that `now` falls in ends (the first moment the local hour is `end`), or null when
 * `now` is not in quiet hours. A window with start = end is empty. A DST shift inside the window moves its
 * end by that hour's difference at most; it is never skipped.
 */
export function quietEndsAt(now: number, quiet: QuietHours | null, zone: string): number | null {
  if (!quiet || quiet.start === quiet.end) return null;
  const { h, m, s } = localClock(now, zone);
  const inside =
    quiet.start < quiet.end ? h >= quiet.start && h < quiet.end : h >= quiet.start || h < quiet.end;
  if (!inside) return null;
  const secOfDay = h * 3600 + m * 60 + s;
  const untilEnd = (((quiet.end * 3600 - secOfDay) % 86_400) + 86_400) % 86_400;
  return now - (now % 1000) + untilEnd * 1000;
}
