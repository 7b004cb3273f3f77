// Builds the Kannel gateway from its settings (all problems reported at once).
import type { SmsGateway } from '../../gateway.ts';
import type { GatewayContext } from '../registry.ts';
import { KannelGateway } from './kannel-gateway.ts';
import { parseKannelSettings } from './settings.ts';

export function createKannelGateway(ctx: GatewayContext): SmsGateway {
  return new KannelGateway(ctx, parseKannelSettings(ctx.env));
}
