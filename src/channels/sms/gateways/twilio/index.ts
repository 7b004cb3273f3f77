// Builds the Twilio gateway from its settings.
import type { SmsGateway } from '../../gateway.ts';
import type { GatewayContext } from '../registry.ts';

export function createTwilioGateway(_ctx: GatewayContext): SmsGateway {
  throw new Error('the twilio gateway is not implemented yet');
}
