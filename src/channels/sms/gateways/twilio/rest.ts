// The two calls Qun makes to Twilio's REST API (create a Message, fetch one), with every answer sorted
// into accepted, refused for good, or worth retrying.

export type SendOutcome =
  | { kind: 'accepted'; sid: string | null }
  | { kind: 'refused'; status: number; code: number | null; reason: string }
  | { kind: 'transient'; status: number | null; reason: string; afterMs: number };

export interface RestOptions {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  timeoutMs: number;
}

/** Default pause before a retry when the provider names none (the queue doubles it per attempt). */
const RETRY_MS = 1000;
/** Refused credentials are an operator's mistake: wait long enough for a fix instead of failing texts. */
const AUTH_RETRY_MS = 30_000;
const MAX_RETRY_AFTER_MS = 3_600_000;

export class TwilioRest {
  readonly #o: RestOptions;
  readonly #auth: string;
  readonly #stop = new AbortController();

  constructor(o: RestOptions) {
    this.#o = o;
    this.#auth = `Basic ${Buffer.from(`${o.accountSid}:${o.authToken}`).toString('base64')}`;
  }

  get #messages(): string {
    return `${this.#o.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(this.#o.accountSid)}/Messages`;
  }

  /** Aborts calls in flight (shutdown); their texts are retried by the queue. */
  close(): void {
    this.#stop.abort(new Error('gateway stopped'));
  }

  async send(form: Record<string, string>): Promise<SendOutcome> {
    let res: Response;
    try {
      res = await fetch(`${this.#messages}.json`, {
        method: 'POST',
        headers: {
          authorization: this.#auth,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams(form).toString(),
        signal: this.#signal(),
      });
    } catch (e) {
      return { kind: 'transient', status: null, reason: this.#why(e), afterMs: RETRY_MS };
    }
    const body = await readJson(res);
    if (res.status >= 200 && res.status < 300) {
      return { kind: 'accepted', sid: typeof body.sid === 'string' ? body.sid : null };
    }
    const code = typeof body.code === 'number' ? body.code : Number(body.code) || null;
    const words = typeof body.message === 'string' ? body.message : res.statusText;
    const reason = `${code ?? `HTTP ${res.status}`}: ${words}`;
    if (res.status === 429 || res.status >= 500)
      return { kind: 'transient', status: res.status, reason, afterMs: retryAfter(res) ?? RETRY_MS };
    if (res.status === 401)
      return { kind: 'transient', status: 401, reason, afterMs: retryAfter(res) ?? AUTH_RETRY_MS };
    return { kind: 'refused', status: res.status, code, reason };
  }

  /** The message's status at Twilio; undefined when Twilio could not say (not found, unreachable). */
  async status(sid: string): Promise<string | undefined> {
    try {
      const res = await fetch(`${this.#messages}/${encodeURIComponent(sid)}.json`, {
        headers: { authorization: this.#auth, accept: 'application/json' },
        signal: this.#signal(),
      });
      const body = await readJson(res);
      return res.status === 200 && typeof body.status === 'string' ? body.status : undefined;
    } catch {
      return undefined;
    }
  }

  #signal(): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(this.#o.timeoutMs), this.#stop.signal]);
  }

  #why(e: unknown): string {
    if (e instanceof Error && e.name === 'TimeoutError') return `timeout after ${this.#o.timeoutMs} ms`;
    const cause =
      e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
    const msg = e instanceof Error ? e.message : String(e);
    return `network: ${cause?.code ?? cause?.message ?? msg}`;
  }
}

async function readJson(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text().catch(() => '');
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return { message: text.slice(0, 200) || undefined };
  }
}

/** Retry-After in seconds or as an HTTP date, bounded so a wild value cannot park a text for days. */
export function retryAfter(res: Response, now = Date.now()): number | undefined {
  const h = res.headers.get('retry-after')?.trim();
  if (!h) return undefined;
  const ms = /^\d+$/.test(h) ? Number(h) * 1000 : Date.parse(h) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
