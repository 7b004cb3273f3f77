// Builds the Kannel gateway from its settings.
import type { SmsGateway } from '../../gateway.ts';
import type { GatewayContext } from '../registry.ts';

export function createKannelGateway(_ctx: GatewayContext): SmsGateway {
  throw new Error('the kannel gateway is not implemented yet');
}
