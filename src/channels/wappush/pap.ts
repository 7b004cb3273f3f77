// PAP 2.0 (WAP-247) push-message documents for a push proxy gateway, carrying a Service Indication
// (WAP-167) that points the phone's WAP browser at a URL: the patent's reminder, "you have unread group
// messages, open the inbox". Pure text building and answer reading; no I/O.
import { randomBytes } from 'node:crypto';

export interface ServiceIndication {
  /** Where the phone's browser goes when the user opens it (the inbox, `/m`). */
  href: string;
  /** What the phone shows. */
  text: string;
  /** Names the indication; a later SI with the same id replaces it on the phone (one per group). */
  siId: string;
  created: Date;
}

const xml = (s: string) =>
  s.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/** ISO 8601 to the second, as SI and PAP want it (no fraction). */
const stamp = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

/** The PPG address of a phone: PLMN type, the number in international form (`+` and digits). */
export function papAddress(phone: string, ppgHost = 'ppg.qun'): string {
  if (!/^\+[1-9]\d{5,14}$/.test(phone)) throw new Error(`not an E.164 number: ${phone}`);
  return `WAPPUSH=${phone}/TYPE=PLMN@${ppgHost}`;
}

export function siDocument(si: ServiceIndication): string {
  return `<?xml version="1.0"?>
<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd">
<si>
<indication href="${xml(si.href)}" si-id="${xml(si.siId)}" created="${stamp(si.created)}" action="signal-medium">${xml(si.text)}</indication>
</si>
`;
}

export function papControl(pushId: string, phone: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">
<pap>
<push-message push-id="${xml(pushId)}" progress-notes-requested="false">
<address address-value="${xml(papAddress(phone))}"></address>
<quality-of-service priority="medium" delivery-method="unconfirmed" network-required="true" network="GSM" bearer-required="true" bearer="SMS"></quality-of-service>
</push-message>
</pap>
`;
}

/** The whole request body and its content type: multipart/related, PAP control first, then the SI. */
export function pushMessage(
  pushId: string,
  phone: string,
  si: ServiceIndication,
): { contentType: string; body: string } {
  const boundary = `qun-${randomBytes(12).toString('hex')}`;
  const body =
    `--${boundary}\r\nContent-Type: application/xml\r\n\r\n${papControl(pushId, phone)}\r\n` +
    `--${boundary}\r\nContent-Type: text/vnd.wap.si\r\n\r\n${siDocument(si)}\r\n` +
    `--${boundary}--\r\n`;
  return { contentType: `multipart/related; boundary=${boundary}; type="application/xml"`, body };
}

/**
 * The PAP answer's result: `response-result code` (1000 OK, 1001 accepted for processing; 2xxx the
 * pusher's fault; 3xxx the PPG's; 4xxx delivery) and its description, or a badmessage-response code.
 */
export function readPapResponse(body: string): { code: number; desc: string } | null {
  const m = /<(?:response-result|badmessage-response)\b[^>]*\bcode\s*=\s*"(\d{4})"[^>]*>/i.exec(body);
  if (!m) return null;
  const desc = /\bdesc\s*=\s*"([^"]*)"/i.exec(m[0])?.[1] ?? '';
  return { code: Number(m[1]), desc };
}
