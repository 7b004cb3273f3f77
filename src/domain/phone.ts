// Normalises what people type as a phone number to E.164, the one form stored and compared.
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

export function normalisePhone(input: string, defaultRegion: string): string | undefined {
  const cleaned = input.trim().replace(/[\s\-().]/g, '');
  if (!/^\+?\d{3,17}$/.test(cleaned)) return undefined;
  const parsed = parsePhoneNumberFromString(cleaned, defaultRegion as CountryCode);
  if (!parsed?.isValid()) return undefined;
  return parsed.number;
}
