// Kannel's delivery report types (the dlr-url's %d), read bit by bit. Kannel 1.4 defines 1 delivered,
// 2 failed (UNDELIV, REJECTD, EXPIRED, DELETED…), 4 buffered (ENROUTE, ACCEPTD), 8 accepted by the SMSC
// and 16 rejected by the SMSC (gw/dlr.h); later Kannel and SMSC links behind it add 0x20 (expired, seen
// as 34 = 0x20|2; alone, an intermediate notice) and 0x40 (unknown, seen as 66 = 0x40|2).

export type DlrReading =
  /** The text's story ends: delivered or not, in words for the trail. */
  | { final: true; delivered: boolean; what: string }
  /** On the way (buffered, accepted by the SMSC): the text stays submitted; the words go in the trail. */
  | { final: false; what: string }
  /** A type Kannel does not define: recorded, changes nothing. */
  | { final: false; unknown: true; what: string };

const DLR_SUCCESS = 0x01;
const DLR_FAIL = 0x02;
const DLR_BUFFERED = 0x04;
const DLR_SMSC_SUCCESS = 0x08;
const DLR_SMSC_FAIL = 0x10;
const DLR_EXPIRED_BIT = 0x20;
const DLR_UNKNOWN_BIT = 0x40;
const KNOWN = 0x7f;

/** Every type with what it means, for docs and tests. */
export const DLR_TYPES: readonly number[] = [1, 2, 4, 8, 16, 32, 34, 66];

export function readDlrType(type: number): DlrReading {
  const hex = `0x${type.toString(16).padStart(2, '0')}`;
  const tag = `(Kannel DLR ${type} = ${hex})`;
  if (!Number.isInteger(type) || type <= 0 || (type & ~KNOWN) !== 0)
    return { final: false, unknown: true, what: `unknown delivery report type ${tag}` };
  // A failure bit wins over anything else in the same report: the member did not get the text.
  if (type & DLR_FAIL) {
    const why =
      type & DLR_EXPIRED_BIT
        ? 'expired: not delivered before its validity ran out'
        : type & DLR_UNKNOWN_BIT
          ? 'not delivered: the SMSC reported an unknown state'
          : 'not delivered (the SMSC gave up)';
    return { final: true, delivered: false, what: `${why} ${tag}` };
  }
  if (type & DLR_SMSC_FAIL) return { final: true, delivered: false, what: `rejected by the SMSC ${tag}` };
  if (type & DLR_SUCCESS) return { final: true, delivered: true, what: `delivered to the phone ${tag}` };
  if (type & DLR_BUFFERED) return { final: false, what: `buffered: the SMSC holds it for the phone ${tag}` };
  if (type & DLR_SMSC_SUCCESS) return { final: false, what: `accepted by the SMSC ${tag}` };
  if (type & DLR_EXPIRED_BIT) return { final: false, what: `intermediate notice ${tag}` };
  return { final: false, unknown: true, what: `unknown delivery report type ${tag}` };
}
