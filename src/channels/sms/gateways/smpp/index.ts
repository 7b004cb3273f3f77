// Builds the SMPP gateway from its settings (QUN_SMPP_*); a bad or missing setting stops start-up.
import type { SmsGateway } from '../../gateway.ts';
import type { GatewayContext } from '../registry.ts';
import { readSmppSettings } from './settings.ts';
import { SmppGateway } from './smpp-gateway.ts';

export function createSmppGateway(ctx: GatewayContext): SmsGateway {
  return new SmppGateway(ctx, readSmppSettings(ctx.env));
}
