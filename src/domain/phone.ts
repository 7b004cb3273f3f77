// Normalises what people type as a phone number to E.164, the one form stored and compared.
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

export function normalisePhone(input: string, defaultRegion: string): string | undefined {
  const cleaned = input.trim().replace(/[\s\-().]/g, '');
  if (!/^\+?\d{3,17}$/.test(cleaned)) return undefined;
  const parsed = parsePhoneNumberFromString(cleaned, defaultRegion as CountryCode);
  if (!parsed?.isValid()) return undefined;
  return parsed.number;
}

/** Shows a number to other members without its middle digits (SMS texts are not private). */
export function maskPhone(e164: string): string {
  if (e164.length < 8) return e164;
  return `${e164.slice(0, e164.length - 8)}****${e164.slice(-4)}`;
}
