// SMS gateways by name (QUN_SMS_GATEWAY). An unknown name stops start-up with the valid names; each
// gateway reads its own settings (gateways/<name>/settings.ts) only when it is the one selected, and its
// code (the SMPP library, Twilio's REST client, Kannel's routes) is imported only then: a server on the
// simulator does not load or keep them (docs/performance.md, "Start-up").

import type { Setting } from '../../../config/setting.ts';
import type { Clock } from '../../../core/clock.ts';
import type { AddressPlan } from '../../../domain/address.ts';
import type { Store } from '../../../store/store.ts';
import type { Metrics } from '../../../util/metrics.ts';
import type { GatewayHooks, SmsGateway } from '../gateway.ts';
import { KANNEL_SETTINGS } from './kannel/settings.ts';
import { SimGateway } from './sim/sim-gateway.ts';
import { SMPP_SETTINGS } from './smpp/settings.ts';
import { TWILIO_SETTINGS } from './twilio/settings.ts';

export interface GatewayLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
}

export interface GatewayContext {
  store: Store;
  clock: Clock;
  env: Record<string, string | undefined>;
  log: GatewayLog;
  metrics: Metrics;
  plan: AddressPlan;
  /** Set before start(): where inbound texts, receipts and provider opt-outs go. */
  hooks: GatewayHooks;
  /** This server's public base URL, for callback URLs given to the peer (Kannel dlr-url, Twilio StatusCallback). */
  publicUrl: string;
}

type CreateGateway = (ctx: GatewayContext) => SmsGateway;

interface GatewayEntry {
  settings: Record<string, Setting>;
  /** Imports the gateway's code; its settings are read by the function it gives. */
  load(): Promise<CreateGateway>;
}

export const GATEWAYS: Record<string, GatewayEntry> = {
  sim: { settings: {}, load: async () => (ctx) => new SimGateway(ctx.store.sim, ctx.clock) },
  smpp: { settings: SMPP_SETTINGS, load: async () => (await import('./smpp/index.ts')).createSmppGateway },
  kannel: {
    settings: KANNEL_SETTINGS,
    load: async () => (await import('./kannel/index.ts')).createKannelGateway,
  },
  twilio: {
    settings: TWILIO_SETTINGS,
    load: async () => (await import('./twilio/index.ts')).createTwilioGateway,
  },
};

/** Every gateway setting, for the configuration docs and their test. */
export function allGatewaySettings(): Record<string, Setting> {
  return Object.assign({}, ...Object.values(GATEWAYS).map((g) => g.settings));
}

/** Stops start-up on an unknown gateway name before anything is opened. */
export function checkGatewayName(name: string): void {
  if (!GATEWAYS[name]) {
    throw new Error(
      `QUN_SMS_GATEWAY: unknown gateway "${name}"; valid gateways: ${Object.keys(GATEWAYS).join(', ')}`,
    );
  }
}

/** Throws at once on an unknown name; rejects when the selected gateway refuses its settings. */
export function createGateway(name: string, ctx: GatewayContext): Promise<SmsGateway> {
  checkGatewayName(name);
  return GATEWAYS[name]!.load().then((create) => create(ctx));
}
