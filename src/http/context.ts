// What HTTP routes are given: the use cases, not the server. Also the request authentication helpers.
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppRegistry } from '../apps/registry.ts';
import type { LiveHub } from '../channels/live/live-hub.ts';
import type { WebPushSender } from '../channels/webpush/webpush-sender.ts';
import type { Config } from '../config/config.ts';
import type { AuthService } from '../core/auth-service.ts';
import type { Clock } from '../core/clock.ts';
import type { CommandService } from '../core/commands/command-service.ts';
import type { DeliveryEngine } from '../core/delivery-engine.ts';
import type { InboxDeps } from '../core/inbox.ts';
import type { MembershipService } from '../core/membership-service.ts';
import type { MessageService } from '../core/message-service.ts';
import type { PolicyService } from '../core/policy-service.ts';
import type { SmsInbound } from '../core/sms-inbound.ts';
import type { AddressPlan } from '../domain/address.ts';
import { QunError } from '../errors/catalogue.ts';
import type { PresenceRegistry } from '../presence/presence.ts';
import type { Store, User } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { WsDeps } from '../ws/ws-session.ts';

export interface HttpContext {
  /** The inbox rung's use case (GET /v1/inbox, /m). */
  inbox: InboxDeps;
  /** True once a graceful stop began: new requests and sockets are refused (503) so they go elsewhere. */
  stopping?: () => boolean;
  config: Config;
  store: Store;
  apps: AppRegistry;
  auth: AuthService;
  membership: MembershipService;
  /** The command use cases (create, invite, answer, remove, promote, quit, rename), shared with SMS and WS. */
  commands: CommandService;
  messages: MessageService;
  /** Delivery preferences, SMS budgets and digest windows. */
  policy: PolicyService;
  delivery: DeliveryEngine;
  inbound: SmsInbound;
  presence: PresenceRegistry;
  hub: LiveHub;
  metrics: Metrics;
  clock: Clock;
  plan: AddressPlan;
  vapidPublicKey: string;
  push: WebPushSender;
  ws: WsDeps;
  simulator: boolean;
  webDir: string;
  /** Why this node is not ready now (store refusing writes, shutting down), or undefined when it is. */
  readiness: () => Promise<'storage_unavailable' | 'unavailable' | undefined>;
  /** The SMS gateway's webhooks (Kannel, Twilio), if it has any. */
  gatewayRoutes: FastifyPluginAsync | undefined;
}

export const SESSION_COOKIE = 'qun_session';

export function cookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

function bearer(req: FastifyRequest): string | undefined {
  // The scheme name is case-insensitive (RFC 9110 section 11.1): `bearer`, `Bearer` and `BEARER` alike.
  const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/**
 * The signed-in user. The JSON API takes bearer tokens only; pages and push subscription (same-origin
 * browser requests) may use the session cookie, and then a cross-origin Origin is refused (CSRF).
 */
export async function requireUser(
  ctx: Pick<HttpContext, 'auth' | 'config'>,
  req: FastifyRequest,
  opts: { cookie?: boolean } = {},
): Promise<{ user: User; sessionHash: string }> {
  let token = bearer(req);
  if (!token && opts.cookie) {
    token = cookie(req, SESSION_COOKIE);
    if (token && req.method !== 'GET' && !sameOrigin(ctx, req))
      throw new QunError('forbidden', 'Cross-origin request refused.');
  }
  const session = await ctx.auth.authenticate(token);
  if (!session) throw new QunError('unauthenticated');
  return session;
}

/** True when the request has no Origin (not a browser) or its Origin is this server's. */
export function sameOrigin(ctx: Pick<HttpContext, 'config'>, req: { headers: IncomingHttpHeaders }): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    const o = new URL(origin);
    return o.host === req.headers.host || o.origin === new URL(ctx.config.publicUrl).origin;
  } catch {
    return false;
  }
}
