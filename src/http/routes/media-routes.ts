import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Services } from '../../app/compose.ts';
import { AppError } from '../../errors/app-error.ts';
import { rateHeaders } from '../../limiter/rate-headers.ts';
import { importFromUrl } from '../../media/import-from-url.ts';
import { ingest, precheckQuota, splitUploadFields } from '../../media/ingest.ts';
import { media } from '../../media/media-service.ts';
import { checkAnonymousRate } from '../../media/quotas.ts';
import { optionalKey, principalOf, requireKey } from '../auth.ts';
import { receiveUpload } from '../receive-upload.ts';
import { hostingSchemas as schemas } from '../schemas/hosting.ts';

const MB = 1024 * 1024;

/** Hosting family media endpoints (docs/api.md §2.2–§2.4). */
export const mediaRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { config } = services;

    /**
     * Anonymous callers spend their IP's rate; keyed callers are checked against the month's quota first. An
     * `onRequest` hook after auth, so it runs before the body is read: malformed, deep or oversized bodies spend
     * the budget too, and a caller over it costs no parsing.
     */
    const admit: onRequestHookHandler = async (request, reply) => {
      if (!request.principal) {
        const { decision, rule } = await checkAnonymousRate(services, request.ip);
        reply.headers(rateHeaders(decision, rule));
      } else await precheckQuota(services, request.principal);
    };
    const maxBytesOf = (request: FastifyRequest) =>
      (request.principal ? config.maxUploadMb : config.maxAnonUploadMb) * MB;

    app.post(
      '/v1/upload',
      {
        onRequest: [optionalKey(services), admit],
        schema: schemas.upload,
      },
      async (request, reply) => {
        const upload = await receiveUpload(request, {
          tmpDir: services.tmpDir,
          maxBytes: maxBytesOf(request),
        });
        let result: Awaited<ReturnType<typeof ingest>>;
        try {
          if (!upload.file) throw new AppError('invalid_payload', { errors: { file: ['File is required'] } });
          if (upload.file.size === 0)
            throw new AppError('invalid_payload', { errors: { file: ['File is empty'] } });
          const { known, extra } = splitUploadFields(upload.fields);
          result = await ingest(services, {
            principal: request.principal,
            clientIp: request.ip,
            file: upload.file,
            fields: known,
            extraMetadata: extra,
            defaultName: upload.file.filename || 'image',
            failure: 'upload_failed',
          });
        } finally {
          // Before answering: once the client has its answer, no scratch file of the request is left.
          await upload.discard();
        }
        return reply.status(201).send(result);
      },
    );

    app.post(
      '/v1/import',
      {
        onRequest: [optionalKey(services), admit],
        schema: schemas.import,
      },
      async (request, reply) => {
        const result = await importFromUrl(services, {
          principal: request.principal,
          clientIp: request.ip,
          body: request.body,
          maxBytes: maxBytesOf(request),
        });
        return reply.status(201).send(result);
      },
    );

    app.get(
      '/v1/media',
      {
        onRequest: requireKey(services, 'hosting'),
        schema: schemas.list,
      },
      async (request) => media.list(services, principalOf(request), request.query),
    );

    app.get('/v1/media/:id', { onRequest: optionalKey(services), schema: schemas.get }, async (request) =>
      media.get(services, request.principal, request.params.id),
    );

    app.patch(
      '/v1/media/:id',
      {
        onRequest: requireKey(services, 'hosting'),
        schema: schemas.update,
      },
      async (request) => media.update(services, principalOf(request), request.params.id, request.body),
    );

    app.delete(
      '/v1/media/:id',
      { onRequest: requireKey(services, 'hosting'), schema: schemas.remove },
      async (request) => media.remove(services, principalOf(request), request.params.id),
    );

    app.patch(
      '/v1/media',
      {
        onRequest: requireKey(services, 'hosting'),
        schema: schemas.updateMany,
      },
      async (request) => media.updateMany(services, principalOf(request), request.query.ids, request.body),
    );

    app.delete(
      '/v1/media',
      { onRequest: requireKey(services, 'hosting'), schema: schemas.removeMany },
      async (request) => media.removeMany(services, principalOf(request), request.query.ids),
    );
  };
