// Shared set-up for the SMPP tests: a test SMSC child process and an SMPP gateway bound to it, with
// hooks and logs recorded. Everything started here is closed by rig.close().
import type { GatewayHooks } from '../../../src/channels/sms/gateway.ts';
import type { GatewayContext, GatewayLog } from '../../../src/channels/sms/gateways/registry.ts';
import { createSmppGateway } from '../../../src/channels/sms/gateways/smpp/index.ts';
import type { SmppGateway } from '../../../src/channels/sms/gateways/smpp/smpp-gateway.ts';
import { systemClock } from '../../../src/core/clock.ts';
import type { Store } from '../../../src/store/store.ts';
import { createMetrics, type Metrics } from '../../../src/util/metrics.ts';
import { RecordingHooks } from '../../contract/sms-gateway.contract.ts';
import { type ConfigPatch, Smsc } from '../../helpers/smsc/smsc.ts';

export const SYSTEM_ID = 'qun';
export const PASSWORD = 'secret';

export class RecordingLog implements GatewayLog {
  readonly lines: { level: string; msg: string; o: object }[] = [];
  info(o: object, msg: string): void {
    this.lines.push({ level: 'info', msg, o });
  }
  warn(o: object, msg: string): void {
    this.lines.push({ level: 'warn', msg, o });
  }
  error(o: object, msg: string): void {
    this.lines.push({ level: 'error', msg, o });
  }
}

/** The env a gateway needs to bind to this SMSC. */
export function smppEnv(smsc: Smsc, extra: Record<string, string> = {}): Record<string, string> {
  return {
    QUN_SMPP_PORT: String(smsc.port),
    QUN_SMPP_SYSTEM_ID: SYSTEM_ID,
    QUN_SMPP_PASSWORD: PASSWORD,
    ...extra,
  };
}

export function gatewayContext(
  env: Record<string, string>,
  hooks: GatewayHooks,
  o: { store?: Store; metrics?: Metrics; log?: GatewayLog } = {},
): GatewayContext {
  return {
    // The SMPP gateway keeps nothing in the store.
    store: o.store ?? (undefined as unknown as Store),
    clock: systemClock,
    env,
    log: o.log ?? new RecordingLog(),
    metrics: o.metrics ?? createMetrics(),
    plan: { serviceNumber: '10658', appNumberWidth: 2 } as GatewayContext['plan'],
    hooks,
    publicUrl: 'http://127.0.0.1:0',
  };
}

export interface Rig {
  smsc: Smsc;
  gateway: SmppGateway;
  hooks: RecordingHooks;
  log: RecordingLog;
  metrics: Metrics;
  close(): Promise<void>;
}

/** A test SMSC and a started gateway bound to it. */
export async function startRig(
  o: { smsc?: ConfigPatch; env?: Record<string, string>; hooks?: RecordingHooks } = {},
): Promise<Rig> {
  const smsc = await Smsc.start({ systemId: SYSTEM_ID, password: PASSWORD, ...o.smsc });
  const hooks = o.hooks ?? new RecordingHooks();
  const log = new RecordingLog();
  const metrics = createMetrics();
  const gateway = createSmppGateway(
    gatewayContext(smppEnv(smsc, o.env), hooks, { log, metrics }),
  ) as SmppGateway;
  try {
    await gateway.start();
  } catch (e) {
    await smsc.close();
    throw e;
  }
  return {
    smsc,
    gateway,
    hooks,
    log,
    metrics,
    async close() {
      await gateway.stop();
      await smsc.close();
    },
  };
}

/** Polls until `check` returns a value other than undefined (the shared test helper). */
export { eventually as until } from '../../helpers/server.ts';
