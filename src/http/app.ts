// The Fastify application: validation by zod, OpenAPI from the same schemas (openapi.ts), one error
// renderer, security headers on every response, and the route plugins (each given only what it needs).
import formbody from '@fastify/formbody';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { ERRORS, QunError } from '../errors/catalogue.ts';
import { liveUpgrades } from '../ws/ws-upgrade.ts';
import type { HttpContext } from './context.ts';
import { installErrorHandler } from './errors.ts';
import { openApiRoute } from './openapi.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { groupRoutes } from './routes/group-routes.ts';
import { inboxRoutes } from './routes/inbox-routes.ts';
import { messageRoutes } from './routes/message-routes.ts';
import { mobileRoutes } from './routes/mobile-routes.ts';
import { pageRoutes } from './routes/page-routes.ts';
import { policyRoutes } from './routes/policy-routes.ts';
import { pushRoutes } from './routes/push-routes.ts';
import { simRoutes } from './routes/sim-routes.ts';
import { statsRoutes } from './routes/stats-routes.ts';
import { webClientRoutes } from './routes/web-client-routes.ts';

export const MAX_BODY_BYTES = 256 * 1024;

type CompilersFactory = NonNullable<FastifyServerOptions['schemaController']>['compilersFactory'];
// Fastify types the factories for Ajv's and fast-json-stringify's compilers; zod's take the same route
// definitions at run time (as setValidatorCompiler shows), so the cast only widens the schema type.
const ZOD_COMPILERS = {
  buildValidator: () => validatorCompiler,
  buildSerializer: () => serializerCompiler,
} as unknown as CompilersFactory;

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export async function buildHttp(
  ctx: HttpContext,
  logger: FastifyBaseLogger,
  clientFile: string,
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: MAX_BODY_BYTES,
    // No log line per request (the metrics count them); the top-level option of the same name is
    // deprecated and warned about at every start (FSTDEP023).
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    // Every schema is zod, compiled by fastify-type-provider-zod. Naming the compilers here, not only
    // with setValidatorCompiler below, keeps Fastify from loading Ajv and fast-json-stringify for its
    // defaults, which nothing would use (~14% of a start's CPU).
    schemaController: { compilersFactory: ZOD_COMPILERS },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  refuseNonJsonBodies(app);
  // No text Qun keeps may hold a NUL (PostgreSQL's text type refuses it, C-based tools cut at it), so
  // the API refuses it in every parameter and field alike, before any handler runs. The gateways'
  // webhooks are exempt: they relay what a phone sent, and inbound SMS drops NULs itself.
  app.addHook('preValidation', async (req) => {
    if (req.url.startsWith('/v1/sms/')) return;
    if (hasNul(req.params) || hasNul(req.query) || hasNul(req.body)) throw new QunError('invalid_characters');
  });
  // A stopping node takes nothing new: the load balancer's next try (or the client's reconnect) goes to
  // another node while this one finishes what it holds.
  app.addHook('onRequest', async (req, reply) => {
    if (!ctx.stopping?.() || req.url === '/healthz') return;
    reply.header('connection', 'close');
    throw new QunError('unavailable');
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts, which
    // the cross-origin check must refuse; same-origin still tells other sites nothing.
    reply.header('referrer-policy', 'same-origin');
  });
  // Before any route: the OpenAPI document is made from every route added after this, on first request.
  openApiRoute(app);
  await app.register(formbody, { bodyLimit: 64 * 1024 });
  app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness: the process answers' } }, async () => ({
    status: 'ok',
    store: ctx.store.engine,
    gateway: ctx.config.smsGateway,
  }));
  // Readiness, apart from liveness: a node whose store cannot take a write (full disk, read-only file
  // system, database gone) or that is shutting down is taken out of a load balancer's rotation, and put
  // back as soon as the store answers again, without a restart.
  app.get(
    '/readyz',
    { schema: { tags: ['ops'], summary: 'Readiness: 200 while the store takes writes, else 503' } },
    async (_req, reply) => {
      const problem = await ctx.readiness();
      if (problem === undefined) return { status: 'ready', store: ctx.store.engine };
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ status: 'unavailable', error: { code: problem, message: ERRORS[problem].message } });
    },
  );
  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    ctx.metrics.liveConnections.set(ctx.hub.connectionCount);
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  liveUpgrades(app, ctx);
  await app.register(adminRoutes(ctx));
  await app.register(authRoutes(ctx));
  await app.register(groupRoutes(ctx));
  await app.register(messageRoutes(ctx));
  await app.register(policyRoutes(ctx));
  await app.register(inboxRoutes(ctx));
  await app.register(pushRoutes(ctx));
  await app.register(webClientRoutes(ctx));
  await app.register(statsRoutes(ctx));
  if (ctx.simulator) await app.register(simRoutes(ctx));
  if (ctx.gatewayRoutes) await app.register(ctx.gatewayRoutes);
  await app.register(pageRoutes(ctx, clientFile));
  await app.register(mobileRoutes(ctx));
  return app;
}

/** Whether any string (or key) in a parsed request part contains U+0000; deep JSON is bounded by the body limit. */
function hasNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (v === null || typeof v !== 'object' || depth > 64) return false;
  for (const [k, x] of Object.entries(v)) if (k.includes('\u0000') || hasNul(x, depth + 1)) return true;
  return false;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/**
 * The JSON API reads JSON only, and only valid UTF-8 (RFC 8259 section 8.1): a malformed byte is
 * refused rather than stored as U+FFFD, and any other media type gets 415. The gateways' webhooks
 * (/v1/sms/…) and the form-posting pages keep their own formats.
 */
function refuseNonJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    let text: string;
    try {
      text = STRICT_UTF8.decode(body as Buffer);
    } catch {
      done(new QunError('invalid_utf8'), undefined);
      return;
    }
    parseJson(req, text, done);
  });
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/v1/') || req.url.startsWith('/v1/sms/')) return;
    const hasBody =
      req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody) return;
    if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) throw new QunError('unsupported_media_type');
  });
}
