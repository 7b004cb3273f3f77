// Builds the Smpp gateway from its settings.
import type { SmsGateway } from '../../gateway.ts';
import type { GatewayContext } from '../registry.ts';

export function createSmppGateway(_ctx: GatewayContext): SmsGateway {
  throw new Error('the smpp gateway is not implemented yet');
}
