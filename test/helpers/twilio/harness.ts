// A Twilio gateway wired to the fake provider and to recording hooks, its webhook routes served by a
// minimal Fastify on loopback (form bodies and Qun's error renderer, as in Qun's own HTTP server).
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import type { GatewayHooks, SmsGateway } from '../../../src/channels/sms/gateway.ts';
import type { GatewayContext } from '../../../src/channels/sms/gateways/registry.ts';
import { createTwilioGateway } from '../../../src/channels/sms/gateways/twilio/index.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { installErrorHandler } from '../../../src/http/errors.ts';
import { RecordingHooks } from '../../contract/sms-gateway.contract.ts';
import { ACCOUNT_SID, AUTH_TOKEN, FakeTwilio } from './fake-twilio.ts';

/** Qun's URL as Twilio knows it; the fake maps it to the real loopback address, like a reverse proxy. */
export const PUBLIC_BASE = 'https://qun.example.test/qun';

export interface TwilioHarness {
  fake: FakeTwilio;
  gateway: SmsGateway;
  hooks: RecordingHooks;
  warnings: string[];
  /** Where the webhook routes really listen (PUBLIC_BASE is how Twilio knows them). */
  actualBase: string;
  close(): Promise<void>;
}

/** Fails loudly if the gateway touches a part of the context it has no business with. */
function unused<T>(what: string): T {
  return new Proxy(
    {},
    {
      get: () => {
        throw new Error(`the twilio gateway used ctx.${what}`);
      },
    },
  ) as T;
}

/** Environment selecting the twilio gateway against a fake at `fakeUrl`. */
export function twilioEnv(fakeUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    QUN_TWILIO_BASE_URL: fakeUrl,
    QUN_TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    QUN_TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    QUN_TWILIO_FROM: '+15005550006',
    QUN_TWILIO_WEBHOOK_URL: PUBLIC_BASE,
    QUN_TWILIO_TIMEOUT: '2s',
    ...extra,
  };
}

/** A gateway context for the twilio gateway; what it must not touch throws. */
export function twilioContext(
  env: Record<string, string>,
  hooks: GatewayHooks = new RecordingHooks(),
  warn: (m: string) => void = () => {},
): GatewayContext {
  return {
    env,
    hooks,
    clock: systemClock,
    publicUrl: 'http://localhost:0',
    log: { info() {}, warn: (_o, m) => warn(m), error: (_o, m) => warn(m) },
    store: unused('store'),
    metrics: unused('metrics'),
    plan: unused('plan'),
  };
}

export async function twilioHarness(env: Record<string, string> = {}): Promise<TwilioHarness> {
  const fake = await FakeTwilio.start();
  const hooks = new RecordingHooks();
  const warnings: string[] = [];
  const gateway = createTwilioGateway(
    twilioContext(twilioEnv(fake.url, env), hooks, (m) => warnings.push(m)),
  );
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  if (gateway.httpRoutes) await app.register(gateway.httpRoutes);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const actualBase = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  fake.connect(PUBLIC_BASE, actualBase);
  await gateway.start();
  return {
    fake,
    gateway,
    hooks,
    warnings,
    actualBase,
    async close() {
      await gateway.stop();
      await app.close();
      await fake.close();
    },
  };
}
