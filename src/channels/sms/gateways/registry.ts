// SMS gateways by name (QUN_SMS_GATEWAY). An unknown name stops start-up with the valid names; each
// gateway reads its own settings (gateways/<name>/settings.ts) only when it is the one selected.

import type { Setting } from '../../../config/setting.ts';
import type { Clock } from '../../../core/clock.ts';
import type { AddressPlan } from '../../../domain/address.ts';
import type { Store } from '../../../store/store.ts';
import type { Metrics } from '../../../util/metrics.ts';
import type { GatewayHooks, SmsGateway } from '../gateway.ts';
import { createKannelGateway } from './kannel/index.ts';
import { KANNEL_SETTINGS } from './kannel/settings.ts';
import { SimGateway } from './sim/sim-gateway.ts';
import { createSmppGateway } from './smpp/index.ts';
import { SMPP_SETTINGS } from './smpp/settings.ts';
import { createTwilioGateway } from './twilio/index.ts';
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

interface GatewayEntry {
  settings: Record<string, Setting>;
  create(ctx: GatewayContext): SmsGateway;
}

export const GATEWAYS: Record<string, GatewayEntry> = {
  sim: { settings: {}, create: (ctx) => new SimGateway(ctx.store.sim, ctx.clock) },
  smpp: { settings: SMPP_SETTINGS, create: createSmppGateway },
  kannel: { settings: KANNEL_SETTINGS, create: createKannelGateway },
  twilio: { settings: TWILIO_SETTINGS, create: createTwilioGateway },
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

export function createGateway(name: string, ctx: GatewayContext): SmsGateway {
  checkGatewayName(name);
  return GATEWAYS[name]!.create(ctx);
}
