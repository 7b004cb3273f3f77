// Kannel's webhooks on Qun's HTTP server: the sms-service get-url (texts from phones) and the dlr-url
// (delivery reports), both open only to the smsbox address holding the shared secret.
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { QunError } from '../../../../errors/catalogue.ts';
import type { GatewayHooks } from '../../gateway.ts';
import type { GatewayLog } from '../registry.ts';
import { addressAllowed, basicPassword, secretMatches } from './access.ts';
import { readDlrType } from './dlr-types.ts';
import { decodeText, rawQuery } from './query.ts';
import { DLR_PATH } from './sendsms.ts';
import type { KannelSettings } from './settings.ts';

export const INBOUND_PATH = '/v1/sms/kannel/inbound';

const secretParam = z.string().max(256).optional().describe('the shared secret, unless sent as basic auth');

export interface KannelRouteDeps {
  settings: KannelSettings;
  hooks: GatewayHooks;
  log: GatewayLog;
}

export function kannelRoutes(d: KannelRouteDeps): FastifyPluginAsync {
  return async (app) => {
    // Refused before validation: a caller without the secret learns nothing about the parameters.
    app.addHook('onRequest', async (req) => {
      const secret = new URL(req.url, 'http://x').searchParams.get('secret') ?? undefined;
      const given = secret ?? basicPassword(req.headers.authorization);
      const fromAllowed = addressAllowed(d.settings.allowFrom, req.ip);
      if (!fromAllowed || !secretMatches(given, d.settings.inboundSecret)) {
        d.log.warn(
          { ip: req.ip, path: req.routeOptions.url, reason: fromAllowed ? 'secret' : 'address' },
          'Kannel webhook refused',
        );
        throw new QunError('forbidden', 'Refused: this address or secret may not call the Kannel webhooks.');
      }
    });
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      INBOUND_PATH,
      {
        schema: {
          tags: ['sms gateways'],
          summary: 'Kannel sms-service get-url: a text from a phone (answers an empty 200 once stored)',
          description:
            'get-url = ".../v1/sms/kannel/inbound?secret=S&from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I&ts=%T". ' +
            'Use %b, not %a: %a re-joins words and breaks UCS-2 texts.',
          querystring: z.object({
            secret: secretParam,
            from: z.string().min(1).max(64),
            to: z.string().min(1).max(64),
            text: z.string().optional(),
            coding: z.string().max(2).optional(),
            charset: z.string().max(32).optional(),
            id: z.string().max(64).optional(),
            ts: z.string().max(32).optional(),
          }),
        },
      },
      async (req, reply) => {
        const raw = rawQuery(req.raw.url ?? '');
        const text = decodeText(raw.get('text') ?? Buffer.alloc(0), req.query.coding, req.query.charset);
        const { from, to, id } = req.query;
        await d.hooks.inbound({ from, to, text, ref: id || null });
        return empty(reply);
      },
    );
    r.get(
      DLR_PATH,
      {
        schema: {
          tags: ['sms gateways'],
          summary: 'Kannel dlr-url: a delivery report for a text Qun sent (set by Qun on each sendsms)',
          querystring: z.object({
            secret: secretParam,
            id: z.string().min(1).max(32),
            status: z.coerce.number().int(),
            answer: z.string().max(1000).optional(),
            ts: z.string().max(32).optional(),
            smsc: z.string().max(64).optional(),
            msgid: z.string().max(128).optional(),
          }),
        },
      },
      async (req, reply) => {
        const { id, status, answer } = req.query;
        // Every type is recorded in the trail: final ones settle the text, the others say where it is.
        const dlr = readDlrType(status);
        const detail = `${dlr.what}${answer ? `: ${answer}` : ''}`;
        if ('unknown' in dlr)
          d.log.warn({ id, status, answer }, 'Kannel DLR of an unknown type; recorded only');
        if (!dlr.final) await d.hooks.receipt({ ref: id, delivered: false, detail, progress: true });
        // A long text reports per part; the first final report settles it and the core never lets a
        // later one rewrite that (a part failing after another was delivered is counted as a conflict).
        else await d.hooks.receipt({ ref: id, delivered: dlr.delivered, detail });
        return empty(reply);
      },
    );
  };
}

// Kannel texts a non-empty get-url answer back to the phone; Qun's replies go out through sendsms.
function empty(reply: FastifyReply) {
  return reply.code(200).type('text/plain; charset=utf-8').send('');
}
