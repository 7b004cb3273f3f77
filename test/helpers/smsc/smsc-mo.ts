// Mobile-originated texts from the test SMSC: split like a handset would (UDH or sar_* TLVs, GSM-7 or
// UCS-2), sent as deliver_sm, and the ESME's answer to each part returned.
import type { PduFields } from '../../../src/channels/sms/gateways/smpp/smpp-lib.ts';
import { isGsm7 } from '../../../src/domain/sms/gsm7.ts';
import { encodeParts, encodeText, split } from '../../../src/domain/sms/segments.ts';
import type { MoRequest } from './protocol.ts';
import type { SmscSim } from './smsc-sim.ts';

let nextRef = 1;

/** Sends one MO text; resolves with the deliver_sm_resp status of each part sent, in sending order. */
export async function sendMo(sim: SmscSim, mo: MoRequest): Promise<number[]> {
  const encoding = mo.encoding ?? (isGsm7(mo.text) ? 'gsm7' : 'ucs2');
  const ref = mo.ref ?? nextRef++;
  const base: PduFields = {
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: mo.from.replace(/^\+/, ''),
    dest_addr_ton: 0,
    dest_addr_npi: 1,
    destination_addr: mo.to,
    data_coding: encoding === 'ucs2' ? 8 : 0,
  };
  let parts: PduFields[];
  if (mo.concat === 'sar') {
    const bodies = split(mo.text, encoding, { udh16: true }).map((t) => encodeText(t, encoding));
    parts = bodies.map((body, i) => ({
      ...base,
      short_message: body,
      ...(bodies.length > 1
        ? { sar_msg_ref_num: ref & 0xffff, sar_total_segments: bodies.length, sar_segment_seqnum: i + 1 }
        : {}),
    }));
  } else {
    const bodies = encodeParts(mo.text, encoding, ref, { udh16: mo.udh16 === true });
    parts = bodies.map((body) => ({ ...base, esm_class: bodies.length > 1 ? 0x40 : 0, short_message: body }));
  }
  if (mo.reverse) parts.reverse();
  const session = await sim.session();
  const statuses: number[] = [];
  for (const fields of parts) {
    statuses.push(await sim.request(session, 'deliver_sm', fields));
    if (mo.duplicate) statuses.push(await sim.request(session, 'deliver_sm', fields));
  }
  return statuses;
}
