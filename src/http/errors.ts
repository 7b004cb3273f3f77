// The one place errors become HTTP responses: {error: {code, message, details?}} with the catalogue's
// status. Unknown errors are logged and answered with a generic 500 that reveals nothing.
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERRORS, QunError } from '../errors/catalogue.ts';
import { isStorageFailure } from '../store/storage-errors.ts';

/** The body of an error response, also for answers written outside Fastify (a refused WebSocket upgrade). */
export function errorBody(err: QunError): { error: { code: string; message: string; details?: unknown } } {
  return {
    error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
  };
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | QunError, req, reply) => {
    if (err instanceof QunError) return reply.code(err.status).send(errorBody(err));
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issues = err.validation.map((v) => `${v.instancePath || '/'} ${v.message}`);
      return reply
        .code(400)
        .send({ error: { code: 'validation', message: ERRORS.validation.message, details: { issues } } });
    }
    if (isStorageFailure(err)) {
      req.log.warn({ err }, 'storage unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({
          error: { code: 'storage_unavailable', message: ERRORS.storage_unavailable.message },
        });
    }
    const status = err.statusCode ?? 500;
    if (status === 413)
      return reply
        .code(413)
        .send({ error: { code: 'payload_too_large', message: ERRORS.payload_too_large.message } });
    if (status === 415)
      return reply
        .code(415)
        .send({ error: { code: 'unsupported_media_type', message: ERRORS.unsupported_media_type.message } });
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: { code: 'bad_request', message: ERRORS.bad_request.message } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'internal', message: ERRORS.internal.message } });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: ERRORS.not_found.message } }),
  );
}
