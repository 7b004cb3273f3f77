// A mobile-originated deliver_sm read into one part: who sent it to which address, its concatenation
// position (UDH or sar_* TLVs) and its text, decoded by data_coding.

import { parseUdh } from '../../../../domain/sms/reassemble.ts';
import { decodeText } from '../../../../domain/sms/segments.ts';
import { moSource } from './addresses.ts';
import { bytes, has, num, type Pdu, str } from './smpp-lib.ts';

const ESM_UDHI = 0x40;

export interface MoPart {
  from: string;
  to: string;
  /** Concatenation reference; 0 for a single text. */
  ref: number;
  total: number;
  seq: number;
  text: string;
}

/**
 * data_coding 0x00-0x0F are SMPP's own values (0 SMSC default = GSM-7, 8 UCS-2, 1 IA5, 3 Latin-1);
 * 0x10-0x3F and 0xF0-0xFF are GSM 03.38 coding groups that name the alphabet in their bits. What is
 * neither GSM-7 nor UCS-2 is shown as Latin-1: best effort beats dropping the text.
 */
export function decodeBody(body: Buffer, dataCoding: number): string {
  const alphabet = (): 'gsm7' | 'ucs2' | 'octets' => {
    if (dataCoding === 0x00) return 'gsm7';
    if (dataCoding === 0x08) return 'ucs2';
    if (dataCoding < 0x10) return 'octets';
    if (dataCoding < 0x40) {
      const bits = (dataCoding >> 2) & 3;
      return bits === 0 ? 'gsm7' : bits === 2 ? 'ucs2' : 'octets';
    }
    if (dataCoding >= 0xf0) return dataCoding & 0x04 ? 'octets' : 'gsm7';
    return 'octets';
  };
  const a = alphabet();
  return a === 'octets' ? body.toString('latin1') : decodeText(body, a);
}

/** The message octets: short_message, or message_payload when the SMSC used that instead. */
export function messageBody(p: Pdu): Buffer {
  const sm = bytes(p, 'short_message');
  return sm.length === 0 && has(p, 'message_payload') ? bytes(p, 'message_payload') : sm;
}

export function readMo(p: Pdu): MoPart {
  let body = messageBody(p);
  let ref = 0;
  let total = 1;
  let seq = 1;
  const udh = num(p, 'esm_class') & ESM_UDHI ? parseUdh(body) : null;
  if (udh) {
    ({ ref, total, seq } = udh);
    body = udh.body;
  } else if (has(p, 'sar_msg_ref_num')) {
    ref = num(p, 'sar_msg_ref_num');
    total = num(p, 'sar_total_segments') || 1;
    seq = num(p, 'sar_segment_seqnum') || 1;
  }
  return {
    from: moSource(str(p, 'source_addr'), num(p, 'source_addr_ton')),
    to: str(p, 'destination_addr'),
    ref,
    total,
    seq,
    text: decodeBody(body, num(p, 'data_coding')),
  };
}
