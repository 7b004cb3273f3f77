// SMS gateways by name (QUN_SMS_GATEWAY). An unknown name stops start-up with the valid names.
import type { Clock } from '../../../core/clock.ts';
import type { Store } from '../../../store/store.ts';
import type { SmsGateway } from '../gateway.ts';
import { SimGateway } from './sim/sim-gateway.ts';

export interface GatewayContext {
  store: Store;
  clock: Clock;
  env: Record<string, string | undefined>;
}

export const GATEWAYS: Record<string, (ctx: GatewayContext) => SmsGateway> = {
  sim: (ctx) => new SimGateway(ctx.store.sim, ctx.clock),
};

export function createGateway(name: string, ctx: GatewayContext): SmsGateway {
  const factory = GATEWAYS[name];
  if (!factory)
    throw new Error(
      `QUN_SMS_GATEWAY: unknown gateway "${name}"; valid gateways: ${Object.keys(GATEWAYS).join(', ')}`,
    );
  return factory(ctx);
}
