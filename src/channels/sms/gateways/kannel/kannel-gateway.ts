// The Kannel gateway: texts go out through smsbox's sendsms interface; texts from phones and delivery
// reports come back on webhooks (routes.ts). Kannel owns splitting, SMSC connections and its own retries.
import type { FastifyPluginAsync } from 'fastify';
import type { OutboundSms } from '../../../../store/store.ts';
import type { PreparedText, SmsGateway, SubmitResult } from '../../gateway.ts';
import type { GatewayContext } from '../registry.ts';
import { kannelRoutes } from './routes.ts';
import { sendsms, sendsmsUrl } from './sendsms.ts';
import type { KannelSettings } from './settings.ts';

export class KannelGateway implements SmsGateway {
  readonly name = 'kannel';
  readonly httpRoutes: FastifyPluginAsync;
  readonly #settings: KannelSettings;
  readonly #callbackBase: string;

  constructor(ctx: GatewayContext, settings: KannelSettings) {
    this.#settings = settings;
    this.#callbackBase = settings.callbackUrl ?? ctx.publicUrl;
    this.httpRoutes = kannelRoutes({
      settings,
      hooks: ctx.hooks,
      log: ctx.log,
    });
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  submit(o: OutboundSms, t: PreparedText): Promise<SubmitResult> {
    // Our own id is the ref: the dlr-url carries it back, so receipts match exactly.
    return sendsms(
      sendsmsUrl(this.#settings, this.#callbackBase, o, t),
      this.#settings.timeout,
      String(o.id),
    );
  }

  reachable(_phone: string): boolean {
    return true;
  }

  /** Kannel's sendsms has no lookup by our id: a text left in doubt is resent (and counted). */
  async reconcile(_o: OutboundSms): Promise<'sent' | 'not_sent' | 'unknown'> {
    return 'unknown';
  }
}
