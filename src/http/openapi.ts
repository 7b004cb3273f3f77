// GET /openapi.json, built from the routes' own zod schemas on the first request rather than at start:
// @fastify/swagger and what it loads (yaml, a JSON-schema resolver) are most of the HTTP layer's start-up
// cost, and few processes are ever asked for the spec. The routes are recorded as they are added; the
// first request replays them into a bare Fastify instance with swagger registered and keeps its document.
import type { FastifyInstance, RouteOptions } from 'fastify';

type RecordedRoute = Pick<RouteOptions, 'method' | 'url' | 'schema' | 'constraints'>;

const OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'Qun HTTP API',
    version: '1',
    description: 'Group messaging that reaches every member: live, mobile inbox, or SMS.',
  },
  components: { securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } } },
  security: [{ bearer: [] }],
};

/** Records every route added to `app` from now on (child plugins included) and serves /openapi.json. */
export function openApiRoute(app: FastifyInstance): void {
  const routes: RecordedRoute[] = [];
  app.addHook('onRoute', (r) => {
    routes.push({
      method: r.method,
      url: r.url,
      schema: r.schema,
      ...(r.constraints ? { constraints: r.constraints } : {}),
    });
  });
  let spec: Promise<unknown> | undefined;
  app.get('/openapi.json', { schema: { hide: true } }, () => {
    spec ??= build(routes);
    spec.catch(() => {
      spec = undefined;
    });
    return spec;
  });
}

async function build(routes: RecordedRoute[]): Promise<unknown> {
  const [{ default: Fastify }, { default: swagger }, zod] = await Promise.all([
    import('fastify'),
    import('@fastify/swagger'),
    import('fastify-type-provider-zod'),
  ]);
  // HEAD routes were recorded as Fastify made them; the replay must not make them a second time.
  const app = Fastify({ logger: false, exposeHeadRoutes: false });
  app.setValidatorCompiler(zod.validatorCompiler);
  app.setSerializerCompiler(zod.serializerCompiler);
  await app.register(swagger, { openapi: OPENAPI, transform: zod.jsonSchemaTransform });
  await app.register(async (scope) => {
    for (const r of routes) scope.route({ ...r, handler: async () => undefined });
  });
  await app.ready();
  try {
    return app.swagger();
  } finally {
    await app.close();
  }
}
