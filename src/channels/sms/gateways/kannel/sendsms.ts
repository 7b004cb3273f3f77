// One call to smsbox's sendsms interface, and what its answer means for the queue.
import type { OutboundSms } from '../../../../store/store.ts';
import type { PreparedText, SubmitResult } from '../../gateway.ts';
import type { KannelSettings } from './settings.ts';

export const DLR_PATH = '/v1/sms/kannel/dlr';
const RETRY_MS = 1000;
const MAX_REASON = 200;

/**
 * The dlr-url for one text. It carries our own outbound id, so a receipt names its text exactly,
 * whatever ids the SMSC uses; Kannel fills in %d (status), %A (SMSC answer), %T, %i and %F itself.
 */
export function dlrUrl(base: string, secret: string, id: number): string {
  return `${base.replace(/\/+$/, '')}${DLR_PATH}?secret=${secret}&id=${id}&status=%d&answer=%A&ts=%T&smsc=%i&msgid=%F`;
}

export function sendsmsUrl(k: KannelSettings, callbackBase: string, o: OutboundSms, t: PreparedText): URL {
  const url = new URL(k.sendsmsUrl);
  const q = url.searchParams;
  q.set('username', k.username);
  q.set('password', k.password);
  q.set('from', o.fromAddr);
  q.set('to', o.toPhone);
  q.set('text', t.text);
  // Always UTF-8 on the wire; coding tells Kannel whether to send it as GSM-7 (0) or UCS-2 (2).
  q.set('coding', t.encoding === 'ucs2' ? '2' : '0');
  q.set('charset', 'UTF-8');
  if (k.smsc) q.set('smsc', k.smsc);
  if (k.dlrMask > 0) {
    q.set('dlr-mask', String(k.dlrMask));
    q.set('dlr-url', dlrUrl(callbackBase, k.inboundSecret, o.id));
  }
  return url;
}

/**
 * Kannel answers 202 "0: Accepted for delivery" or "3: Queued for later delivery" (no SMSC online yet,
 * but bearerbox holds it). 5xx is trouble that may pass; any other answer is a refusal (4xx: "Authorization
 * failed for sendsms", "Sender missing and no global set, rejected") that a retry would only repeat.
 */
export function classify(status: number, body: string, ref: string): SubmitResult {
  const text = body.trim().slice(0, MAX_REASON) || `HTTP ${status}`;
  if (status >= 200 && status < 300 && /^[03]:/.test(text)) return { outcome: 'submitted', ref };
  if (status >= 500)
    return { outcome: 'retry', reason: `Kannel sendsms ${status}: ${text}`, afterMs: RETRY_MS };
  // A 2xx or 3xx without Kannel's words is not Kannel (a proxy page, a wrong URL): nothing was sent.
  return { outcome: 'failed', reason: `Kannel sendsms ${status}: ${text}` };
}

export async function sendsms(url: URL, timeoutMs: number, ref: string): Promise<SubmitResult> {
  try {
    // Never follow a redirect: it would carry the sendsms password to wherever it points.
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return classify(res.status, await res.text(), ref);
  } catch (e) {
    const reason =
      e instanceof Error && e.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : errText(e);
    // No answer: smsbox may have queued it anyway.
    return {
      outcome: 'retry',
      reason: `Kannel sendsms unreachable: ${reason}`,
      afterMs: RETRY_MS,
      unknownOutcome: true,
    };
  }
}

function errText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}
