// Sends one WAP Push Service Indication through a push proxy gateway (PAP 2.0 over HTTP; Kannel's
// wapbox PPG is the one tested) and reads its answer. The PPG turns it into a binary SMS to WDP port
// 2948 that a WAP phone shows as a notice with a link.
import http from 'node:http';
import https from 'node:https';
import { pushMessage, readPapResponse, type ServiceIndication } from './pap.ts';

export interface WapPushSettings {
  /** The PAP URL, e.g. http://127.0.0.1:8080/wappush (Kannel's ppg-url). */
  url: string;
  username: string | undefined;
  password: string | undefined;
  timeoutMs: number;
}

export type WapPushOutcome =
  /** The PPG accepted it (PAP 1000 OK or 1001 accepted for processing). */
  | { outcome: 'sent'; code: number; pushId: string }
  | { outcome: 'failed'; code: number | null; reason: string };

let nextPush = 0;

export class WapPushSender {
  readonly #s: WapPushSettings;

  constructor(s: WapPushSettings) {
    this.#s = s;
  }

  async send(phone: string, si: ServiceIndication): Promise<WapPushOutcome> {
    const pushId = `qun-${Date.now().toString(36)}-${(nextPush++).toString(36)}@qun`;
    let msg: { contentType: string; body: string };
    try {
      msg = pushMessage(pushId, phone, si);
    } catch (e) {
      return { outcome: 'failed', code: null, reason: e instanceof Error ? e.message : String(e) };
    }
    const url = new URL(this.#s.url);
    if (this.#s.username) url.searchParams.set('username', this.#s.username);
    if (this.#s.password) url.searchParams.set('password', this.#s.password);
    try {
      const res = await post(url, msg, this.#s.timeoutMs);
      const r = readPapResponse(res.body);
      if (r && (r.code === 1000 || r.code === 1001)) return { outcome: 'sent', code: r.code, pushId };
      const words = r
        ? `PAP ${r.code}${r.desc ? ` ${r.desc}` : ''}`
        : res.body.trim().slice(0, 120) || 'no PAP answer';
      return { outcome: 'failed', code: r?.code ?? null, reason: `PPG HTTP ${res.status}: ${words}` };
    } catch (e) {
      return {
        outcome: 'failed',
        code: null,
        reason: `PPG unreachable: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
  }
}

/**
 * One POST with exactly these headers. Kannel copies the pusher's headers (User-Agent, Accept, and
 * fetch's Sec-Fetch-Mode) into the WSP headers of the pushed SMS, so none are sent beyond the needed.
 */
function post(
  url: URL,
  msg: { contentType: string; body: string },
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const lib = url.protocol === 'https:' ? https : http;
  const body = Buffer.from(msg.body, 'utf8');
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': msg.contentType, 'content-length': body.length },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
