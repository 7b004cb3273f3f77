// SMPP command_status codes: names for reasons and logs, and which answers are worth retrying.
import { smpp } from './smpp-lib.ts';

export const ESME_ROK = 0x00;
export const ESME_RINVCMDID = 0x03;
export const ESME_RINVBNDSTS = 0x04;
export const ESME_RSYSERR = 0x08;
export const ESME_RMSGQFUL = 0x14;
export const ESME_RTHROTTLED = 0x58;
export const ESME_RX_T_APPN = 0x64;

const NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(smpp.errors)) if (!NAMES.has(code)) NAMES.set(code, name);

/** `ESME_RTHROTTLED (0x58)`: the form used in failure reasons, so operators can look the code up. */
export function statusName(code: number): string {
  const hex = `0x${code.toString(16).toUpperCase().padStart(2, '0')}`;
  return `${NAMES.get(code) ?? 'unknown status'} (${hex})`;
}

/** The SMSC asks us to slow down: retry the same part after a pause. */
export function isThrottle(code: number): boolean {
  return code === ESME_RTHROTTLED || code === ESME_RMSGQFUL;
}

/**
 * Answers about the SMSC's state, not the text: the queue retries them later. Everything else
 * (invalid address, submit failed, bad data coding, ...) is about the text and is final.
 */
export function isTransient(code: number): boolean {
  return code === ESME_RSYSERR || code === ESME_RX_T_APPN || code === ESME_RINVBNDSTS || isThrottle(code);
}
