// Twilio's webhooks: mobile-originated texts and status callbacks. Nothing happens before the signature
// checks out; replays are harmless because texts carry their MessageSid and receipts are idempotent.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { QunError } from '../../../../errors/catalogue.ts';
import type { GatewayHooks } from '../../gateway.ts';
import {
  formParams,
  SETTINGS_HEADER,
  signatureAlgorithm,
  type TwilioParams,
  verifyBodyHash,
  verifyTwilioSignature,
} from './signature.ts';

export const INBOUND_PATH = '/v1/sms/twilio/inbound';
export const STATUS_PATH = '/v1/sms/twilio/status';

/** Twilio's error code for a recipient who texted STOP to the sender. */
export const UNSUBSCRIBED = '21610';

/** An empty TwiML answer: Twilio sends nothing back itself; Qun's replies go through the queue. */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';

/** Final states and whether they mean delivered ('read' comes from channels that report it). */
const FINAL = new Map([
  ['delivered', true],
  ['read', true],
  ['undelivered', false],
  ['failed', false],
]);

/** Words for the codes operators meet most, so a failed text's error explains itself. */
const ERROR_WORDS = new Map([
  ['21610', 'recipient unsubscribed (STOP)'],
  ['30003', 'handset unreachable'],
  ['30004', 'blocked by the recipient or carrier'],
  ['30005', 'unknown destination'],
  ['30006', 'landline or unreachable carrier'],
  ['30007', 'filtered by the carrier'],
  ['30008', 'unknown error'],
]);

const Inbound = z.object({
  From: z.string().min(1),
  To: z.string().min(1),
  Body: z.string().default(''),
  MessageSid: z.string().min(1),
  NumMedia: z.coerce.number().int().min(0).max(100).default(0),
});

const Status = z.object({
  MessageSid: z.string().min(1),
  MessageStatus: z.string().min(1),
  To: z.string().optional(),
  ErrorCode: z.string().optional(),
});

export interface RouteOptions {
  /** Qun's base URL as Twilio calls it (the signed URL is this + the request path and query). */
  webhookBase: string;
  authToken: string;
  /** The SharedKey secret for webhooks that carry X-Twilio-Webhooks-Signature-Settings (HMAC-SHA256). */
  sharedKey?: string;
  hooks: GatewayHooks;
  log: { warn(o: object, m: string): void };
}

export function twilioRoutes(o: RouteOptions): FastifyPluginAsync {
  const refuse = (req: FastifyRequest, url: string, why: string): never => {
    o.log.warn({ url, ip: req.ip, why }, `twilio webhook refused: bad signature (${why})`);
    throw new QunError('forbidden', 'The X-Twilio-Signature header is missing or does not match.');
  };
  /** The verified parameters, or a 403 before anything is read from them. */
  const verified = (req: FastifyRequest): Record<string, unknown> => {
    const url = `${o.webhookBase}${req.url}`;
    const header = req.headers['x-twilio-signature'];
    const algorithm = signatureAlgorithm(req.headers[SETTINGS_HEADER]);
    if (algorithm === null) return refuse(req, url, 'unsupported signature algorithm');
    // SharedKey webhooks are keyed with that key's secret; without one configured, the auth token is
    // tried (an HMAC with it proves as much as the classic scheme does).
    const key = algorithm === undefined ? o.authToken : (o.sharedKey ?? o.authToken);
    let params: TwilioParams | undefined;
    if (typeof req.body === 'string') {
      // A JSON body: signed over the URL alone, the body pinned by the URL's bodySHA256.
      const ok =
        verifyTwilioSignature(url, {}, key, header, algorithm ?? 'HMAC_SHA1') &&
        verifyBodyHash(url, req.body);
      if (!ok) return refuse(req, url, 'signature or bodySHA256 does not match');
      try {
        params = formParams(JSON.parse(req.body));
      } catch {
        params = undefined;
      }
      if (!params) throw new QunError('validation', 'The JSON body must be an object of string values.');
      return params;
    }
    params = formParams(req.body);
    if (!params || !verifyTwilioSignature(url, params, key, header, algorithm ?? 'HMAC_SHA1'))
      return refuse(req, url, 'signature missing or wrong');
    return params;
  };
  const parse = <T extends z.ZodType>(schema: T, params: Record<string, unknown>): z.output<T> => {
    const r = schema.safeParse(params);
    if (!r.success)
      throw new QunError('validation', undefined, { issues: r.error.issues.map((i) => i.message) });
    return r.data;
  };

  return async (app) => {
    // JSON bodies are checked against bodySHA256 byte for byte, so they are kept as received.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_req, body, done) => done(null, body),
    );
    app.post(
      INBOUND_PATH,
      { schema: { tags: ['twilio'], summary: 'Twilio webhook: a text from a phone (signed)' } },
      async (req, reply) => {
        const p = parse(Inbound, verified(req));
        // The core de-duplicates by MessageSid, so a retried webhook creates nothing twice.
        const media = p.NumMedia > 0 ? { media: p.NumMedia } : {};
        await o.hooks.inbound({ from: p.From, to: p.To, text: p.Body, ref: p.MessageSid, ...media });
        return reply.code(200).type('text/xml; charset=utf-8').send(EMPTY_TWIML);
      },
    );
    app.post(
      STATUS_PATH,
      { schema: { tags: ['twilio'], summary: 'Twilio webhook: a status callback for a sent text (signed)' } },
      async (req, reply) => {
        const p = parse(Status, verified(req));
        if (p.ErrorCode === UNSUBSCRIBED && p.To) await o.hooks.optedOut(p.To);
        const delivered = FINAL.get(p.MessageStatus);
        // queued/sending/sent are progress, not receipts; only final states settle the text.
        if (delivered !== undefined) {
          const words = p.ErrorCode ? ` ${p.ErrorCode} ${ERROR_WORDS.get(p.ErrorCode) ?? ''}`.trimEnd() : '';
          await o.hooks.receipt({ ref: p.MessageSid, delivered, detail: `${p.MessageStatus}${words}` });
        }
        return reply.code(204).send();
      },
    );
  };
}
