// The Twilio gateway: texts go out through Twilio's REST API (or a compatible provider), texts and
// status callbacks come in through signed webhooks. Twilio gives one plain sender, so every text goes out
// from QUN_TWILIO_FROM: the gateway implies single-number addressing (the core tags texts with groups).
import type { FastifyPluginAsync } from 'fastify';
import type { OutboundSms } from '../../../../store/store.ts';
import type { PreparedText, SmsGateway, SubmitResult } from '../../gateway.ts';
import type { GatewayContext } from '../registry.ts';
import { TwilioRest } from './rest.ts';
import { STATUS_PATH, twilioRoutes, UNSUBSCRIBED } from './routes.ts';
import { readTwilioSettings, type TwilioSettings } from './settings.ts';

export { twilioSignature } from './signature.ts';

export function createTwilioGateway(ctx: GatewayContext): SmsGateway {
  return new TwilioGateway(readTwilioSettings(ctx.env, ctx.publicUrl), ctx);
}

class TwilioGateway implements SmsGateway {
  readonly name = 'twilio';
  readonly httpRoutes: FastifyPluginAsync;
  readonly #s: TwilioSettings;
  readonly #ctx: GatewayContext;
  readonly #rest: TwilioRest;

  constructor(s: TwilioSettings, ctx: GatewayContext) {
    this.#s = s;
    this.#ctx = ctx;
    this.#rest = new TwilioRest(s);
    this.httpRoutes = twilioRoutes({
      webhookBase: s.webhookBase,
      authToken: s.authToken,
      ...(s.webhookSharedKey ? { sharedKey: s.webhookSharedKey } : {}),
      hooks: ctx.hooks,
      log: ctx.log,
    });
  }

  async start(): Promise<void> {
    const host = new URL(this.#s.webhookBase).hostname;
    // Twilio signs the URL it calls: a local base means no webhook can arrive or verify.
    if (host === 'localhost' || host.startsWith('127.') || host === '[::1]')
      this.#ctx.log.warn(
        { webhookBase: this.#s.webhookBase },
        'twilio: webhooks point at a local address; set QUN_TWILIO_WEBHOOK_URL to the URL Twilio calls',
      );
    this.#ctx.log.info(
      {
        api: this.#s.baseUrl,
        from: this.#s.from ?? this.#s.messagingServiceSid,
        webhooks: this.#s.webhookBase,
      },
      'twilio gateway ready',
    );
  }

  async stop(): Promise<void> {
    this.#rest.close();
  }

  reachable(_phone: string): boolean {
    return true;
  }

  async submit(o: OutboundSms, t: PreparedText): Promise<SubmitResult> {
    const s = this.#s;
    const form: Record<string, string> = {
      To: o.toPhone,
      Body: t.text,
      StatusCallback: `${s.webhookBase}${STATUS_PATH}`,
    };
    // Providers refuse senders not on the account, so o.fromAddr (a group address) is not used.
    if (s.messagingServiceSid) form.MessagingServiceSid = s.messagingServiceSid;
    else form.From = s.from!;
    const r = await this.#rest.send(form);
    if (r.kind === 'accepted') return { outcome: 'submitted', ref: r.sid };
    if (r.kind === 'transient') {
      if (r.status === 401)
        this.#ctx.log.error({ reason: r.reason }, 'twilio refused the credentials; texts wait for a fix');
      // No HTTP status at all (timeout, network): Twilio may have accepted it.
      return {
        outcome: 'retry',
        reason: r.reason,
        afterMs: r.afterMs,
        ...(r.status === null ? { unknownOutcome: true } : {}),
      };
    }
    if (String(r.code) === UNSUBSCRIBED) {
      // The queue records the opt-out from `optedOut` too, so a failing hook must not turn this into a retry.
      await this.#ctx.hooks
        .optedOut(o.toPhone)
        .catch((e: unknown) => this.#ctx.log.error({ err: e }, 'twilio: recording an opt-out failed'));
      return { outcome: 'failed', reason: r.reason, optedOut: true };
    }
    return { outcome: 'failed', reason: r.reason };
  }

  async reconcile(o: OutboundSms): Promise<'sent' | 'not_sent' | 'unknown'> {
    // Twilio cannot be asked by Qun's own id, only by the SID it answered with.
    if (!o.gatewayRef) return 'unknown';
    return (await this.#rest.status(o.gatewayRef)) ? 'sent' : 'unknown';
  }
}
