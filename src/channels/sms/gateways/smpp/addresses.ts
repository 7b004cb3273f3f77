// SMPP addresses: E.164 members to destination_addr per the configured TON, and MO source_addr back to
// E.164 so that the core recognises the member.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

const TON_INTERNATIONAL = 1;
const TON_NATIONAL = 2;

/** Whether Qun can address a number over SMPP at all: E.164 only. */
export function isE164(phone: string): boolean {
  return /^\+[1-9]\d{6,14}$/.test(phone);
}

/**
 * International TON: country code and number without '+'. National TON: the national significant
 * number. Any other TON: the international digits, which SMSCs route under "unknown" as dialled.
 */
export function destinationAddr(e164: string, ton: number): string {
  if (ton === TON_NATIONAL) {
    const national = parsePhoneNumberFromString(e164)?.nationalNumber;
    if (national) return national;
  }
  return e164.replace(/^\+/, '');
}

/** An international source_addr gets its '+' back; anything else is passed on as the SMSC wrote it. */
export function moSource(addr: string, ton: number): string {
  if (ton === TON_INTERNATIONAL && /^\d+$/.test(addr)) return `+${addr}`;
  return addr;
}

/** The group address as source_addr: digits only (a '+' is not part of an SMPP address). */
export function sourceAddr(fromAddr: string): string {
  return fromAddr.replace(/^\+/, '');
}
