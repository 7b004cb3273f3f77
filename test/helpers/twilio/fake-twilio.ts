// A local stand-in for Twilio's Messages API on 127.0.0.1:0: checks basic auth, records messages, can be
// told to refuse (21610), throttle (429), fail (500) or hang, and calls Qun's webhooks signed as Twilio
// would (the URL it was given, the params it sends), optionally forged or altered for tests.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { twilioSignature } from '../../../src/channels/sms/gateways/twilio/index.ts';
import { INBOUND_PATH } from '../../../src/channels/sms/gateways/twilio/routes.ts';

export const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
/** The number a Messaging Service picks when a text names MessagingServiceSid instead of From. */
export const POOL_NUMBER = '+15005550006';

export interface FakeMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  messagingServiceSid: string | undefined;
  statusCallback: string | undefined;
  status: string;
}

/** What the next POST to Messages.json does instead of succeeding. */
export type Trouble = { status: number; code?: number; message?: string; retryAfter?: string } | 'hang';

export interface WebhookOptions {
  /** Replaces the computed signature; null sends none. */
  signature?: string | null;
  /** Changes the params after signing (a tampering proxy). */
  alter?: (p: Record<string, string>) => Record<string, string>;
  /** Signs for another URL than the one the request goes to. */
  signUrl?: string;
}

export class FakeTwilio {
  readonly messages: FakeMessage[] = [];
  /** Every create request, accepted or not: the count proves what was never attempted. */
  readonly attempts: { to: string; answer: number }[] = [];
  readonly optedOut = new Set<string>();
  readonly trouble: Trouble[] = [];
  url = '';
  #server: http.Server;
  #hanging: http.ServerResponse[] = [];
  #pending = new Set<Promise<unknown>>();
  #publicBase = '';
  #actualBase = '';
  /** Status callbacks sent on their own after a 201 (like Twilio), or none. */
  autoStatus: string[] = [];

  private constructor() {
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
  }

  static async start(): Promise<FakeTwilio> {
    const f = new FakeTwilio();
    await new Promise<void>((r) => f.#server.listen(0, '127.0.0.1', r));
    f.url = `http://127.0.0.1:${(f.#server.address() as AddressInfo).port}`;
    return f;
  }

  /** Qun is known to Twilio as `publicBase` (behind a proxy); requests really go to `actualBase`. */
  connect(publicBase: string, actualBase: string): void {
    this.#publicBase = publicBase;
    this.#actualBase = actualBase;
  }

  received(): { from: string; to: string; text: string }[] {
    return this.messages.map((m) => ({ from: m.from, to: m.to, text: m.body }));
  }

  /** A signed POST to a public webhook URL, delivered through the "proxy". */
  async webhook(
    publicUrl: string,
    params: Record<string, string>,
    o: WebhookOptions = {},
  ): Promise<{ status: number; type: string; body: string }> {
    const signature =
      o.signature === undefined ? twilioSignature(o.signUrl ?? publicUrl, params, AUTH_TOKEN) : o.signature;
    const sent = o.alter ? o.alter({ ...params }) : params;
    if (!publicUrl.startsWith(this.#publicBase)) throw new Error(`not a Qun URL: ${publicUrl}`);
    const res = await fetch(this.#actualBase + publicUrl.slice(this.#publicBase.length), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        ...(signature === null ? {} : { 'x-twilio-signature': signature }),
      },
      body: new URLSearchParams(sent).toString(),
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  }

  /** A text from a phone, as Twilio posts it to the number's webhook. */
  inbound(
    t: { from: string; to: string; text: string; sid?: string },
    o: WebhookOptions & { query?: string } = {},
  ): Promise<{ status: number; type: string; body: string }> {
    const sid = t.sid ?? newSid('SM');
    return this.webhook(
      `${this.#publicBase}${INBOUND_PATH}${o.query ?? ''}`,
      {
        ToCountry: 'CN',
        SmsMessageSid: sid,
        NumMedia: '0',
        SmsSid: sid,
        SmsStatus: 'received',
        Body: t.text,
        To: t.to,
        NumSegments: '1',
        MessageSid: sid,
        AccountSid: ACCOUNT_SID,
        From: t.from,
        ApiVersion: '2010-04-01',
      },
      o,
    );
  }

  /** A status callback for a message, to the StatusCallback URL it was sent with. */
  status(
    sid: string,
    status: string,
    errorCode?: string,
    o: WebhookOptions = {},
  ): Promise<{ status: number; type: string; body: string }> {
    const m = this.messages.find((x) => x.sid === sid);
    if (!m?.statusCallback) throw new Error(`no message ${sid} with a StatusCallback`);
    m.status = status;
    return this.webhook(
      m.statusCallback,
      {
        AccountSid: ACCOUNT_SID,
        ApiVersion: '2010-04-01',
        From: m.from,
        To: m.to,
        MessageSid: sid,
        SmsSid: sid,
        MessageStatus: status,
        SmsStatus: status,
        ...(errorCode ? { ErrorCode: errorCode } : {}),
      },
      o,
    );
  }

  async close(): Promise<void> {
    for (const r of this.#hanging) r.destroy();
    await Promise.allSettled([...this.#pending]);
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const json = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const base = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages`;
    const auth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
    if (req.headers.authorization !== auth)
      return json(401, { code: 20003, message: 'Authenticate', status: 401 });
    const get = new RegExp(`^${base}/(SM[0-9a-f]{32})\\.json$`).exec(req.url ?? '');
    if (req.method === 'GET' && get) {
      const m = this.messages.find((x) => x.sid === get[1]);
      if (!m) return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      return json(200, { sid: m.sid, to: m.to, from: m.from, body: m.body, status: m.status });
    }
    if (req.method !== 'POST' || req.url !== `${base}.json`)
      return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
    const p = new URLSearchParams(raw);
    const to = p.get('To') ?? '';
    const trouble = this.trouble.shift();
    if (trouble === 'hang') {
      this.attempts.push({ to, answer: 0 });
      this.#hanging.push(res);
      return;
    }
    if (trouble) {
      this.attempts.push({ to, answer: trouble.status });
      if (trouble.retryAfter) res.setHeader('retry-after', trouble.retryAfter);
      const { status, code = status === 429 ? 20429 : 20500, message = 'Busy' } = trouble;
      return json(status, { code, message, status });
    }
    if (this.optedOut.has(to)) {
      this.attempts.push({ to, answer: 400 });
      return json(400, {
        code: 21610,
        message: 'Attempt to send to unsubscribed recipient',
        more_info: 'https://www.twilio.com/docs/errors/21610',
        status: 400,
      });
    }
    const service = p.get('MessagingServiceSid') ?? undefined;
    const from = p.get('From') ?? (service ? POOL_NUMBER : '');
    if (!to || !from || !p.has('Body')) {
      this.attempts.push({ to, answer: 400 });
      return json(400, { code: 21604, message: "A 'To', 'From' and 'Body' are required", status: 400 });
    }
    const m: FakeMessage = {
      sid: newSid('SM'),
      to,
      from,
      body: p.get('Body')!,
      messagingServiceSid: service,
      statusCallback: p.get('StatusCallback') ?? undefined,
      status: 'queued',
    };
    this.messages.push(m);
    this.attempts.push({ to, answer: 201 });
    json(201, { sid: m.sid, account_sid: ACCOUNT_SID, to, from, body: m.body, status: m.status });
    if (m.statusCallback && this.autoStatus.length > 0) this.#track(this.#autoCallbacks(m.sid));
  }

  async #autoCallbacks(sid: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 20));
    for (const s of this.autoStatus) await this.status(sid, s);
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch(() => {}).finally(() => this.#pending.delete(q));
    this.#pending.add(q);
  }
}

export function newSid(prefix: string): string {
  return prefix + crypto.randomBytes(16).toString('hex');
}
