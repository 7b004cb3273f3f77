// Hosts a Kannel gateway on its own: the gateway object with recording hooks, and a Fastify server on
// a chosen loopback port that serves its webhooks the way Qun's HTTP server does.
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { SmsGateway } from '../../../src/channels/sms/gateway.ts';
import { createKannelGateway } from '../../../src/channels/sms/gateways/kannel/index.ts';
import type { GatewayContext } from '../../../src/channels/sms/gateways/registry.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { installErrorHandler } from '../../../src/http/errors.ts';
import { createMetrics } from '../../../src/util/metrics.ts';
import { RecordingHooks } from '../../contract/sms-gateway.contract.ts';

export interface GatewayHost {
  gateway: SmsGateway;
  hooks: RecordingHooks;
  warnings: string[];
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Builds the gateway from QUN_KANNEL_* settings; publicUrl is http://127.0.0.1:port. */
export async function hostKannelGateway(env: Record<string, string>, port: number): Promise<GatewayHost> {
  const hooks = new RecordingHooks();
  const warnings: string[] = [];
  const ctx: GatewayContext = {
    // The Kannel gateway keeps no state in the store.
    store: {} as GatewayContext['store'],
    clock: systemClock,
    env: { QUN_SMS_GATEWAY: 'kannel', ...env },
    log: { info() {}, warn: (_o, m) => warnings.push(m), error: (_o, m) => warnings.push(m) },
    metrics: createMetrics(),
    plan: { serviceNumber: '10658', appNumberWidth: 2, mode: 'extended', singleNumber: '10658' },
    hooks,
    publicUrl: `http://127.0.0.1:${port}`,
  };
  const gateway = createKannelGateway(ctx);
  const app = Fastify({ trustProxy: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  if (gateway.httpRoutes) await app.register(gateway.httpRoutes);
  await app.listen({ port, host: '127.0.0.1' });
  await gateway.start();
  return {
    gateway,
    hooks,
    warnings,
    app,
    async close() {
      await gateway.stop();
      await app.close();
    },
  };
}
