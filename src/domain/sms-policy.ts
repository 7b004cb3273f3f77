// Which numbers Qun texts things strangers can trigger (sign-in codes, invitations): by region and by
// number type from libphonenumber's metadata, so premium-rate, shared-cost, satellite and other
// high-cost numbers — the targets of SMS pumping — are refused before a text costs anything.
import { type NumberType, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** Numbers with no country (+800, +808, +870, +881 satellite, +882/+883 international networks). */
export const NON_GEOGRAPHIC = '001';

export const NUMBER_TYPES: readonly NonNullable<NumberType>[] = [
  'FIXED_LINE',
  'MOBILE',
  'FIXED_LINE_OR_MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
];

export interface NumberPolicy {
  /** Allowed regions (ISO 3166, or 001 for non-geographic numbers); '*' is every country. */
  regions: ReadonlySet<string> | '*';
  types: ReadonlySet<string>;
}

export type NumberVerdict = 'ok' | 'region' | 'type';

/**
 * The policy from the settings. Unset regions mean the default region plus the region of each of the
 * service's own numbers that has one (a short code such as 10658 has none).
 */
export function numberPolicy(o: {
  allowedRegions: string | undefined;
  allowedTypes: string;
  defaultRegion: string;
  ownNumbers: string[];
}): NumberPolicy {
  const types = new Set(o.allowedTypes.split(',').map((t) => t.trim()));
  if (o.allowedRegions?.trim() === '*') return { regions: '*', types };
  if (o.allowedRegions) return { regions: new Set(o.allowedRegions.split(',').map((r) => r.trim())), types };
  const regions = new Set([o.defaultRegion]);
  for (const n of o.ownNumbers) {
    const region = /^\+/.test(n) ? parsePhoneNumberFromString(n)?.country : undefined;
    if (region) regions.add(region);
  }
  return { regions, types };
}

/** May Qun text this (E.164) number what a stranger can trigger? Pure. */
export function numberVerdict(phone: string, p: NumberPolicy): NumberVerdict {
  const parsed = parsePhoneNumberFromString(phone);
  if (!parsed?.isValid()) return 'type';
  const region = parsed.country ?? NON_GEOGRAPHIC;
  const regionOk = p.regions === '*' ? region !== NON_GEOGRAPHIC : p.regions.has(region);
  if (!regionOk) return 'region';
  const type = parsed.getType();
  return type !== undefined && p.types.has(type) ? 'ok' : 'type';
}
