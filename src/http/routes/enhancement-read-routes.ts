import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../app/compose.ts';
import { getEnhancement, listEnhancements } from '../../enhancements/enhancement-reads.ts';
import { PRESET_LIST } from '../../enhancements/presets.ts';
import { MINUTE_MS } from '../../lib/time.ts';
import { principalOf, requireKey } from '../auth.ts';
import { enforceRate } from '../rate-limit.ts';
import { enhancementSchemas as schemas } from '../schemas/enhancement.ts';

export const enhancementReadRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { config, store } = services;
    const readRule = { limit: config.readsPerMinute, periodMs: MINUTE_MS };

    app.get('/api/v1/product-image-enhancement-presets', { schema: schemas.presets }, async (request) => ({
      presets: PRESET_LIST,
      request_id: request.id,
    }));

    app.get(
      '/api/v1/product-image-enhancements/:id',
      {
        onRequest: requireKey(services, 'enhancement'),
        schema: schemas.get,
      },
      async (request, reply) => {
        const principal = principalOf(request);
        await enforceRate(services.limiter, `enh:read:${principal.key.id}`, readRule, reply);
        const result = await getEnhancement(
          { db: store.db, srcBase: config.srcBase },
          principal,
          request.params.id,
        );
        return { ...result, request_id: request.id };
      },
    );

    app.get(
      '/api/v1/product-image-enhancements',
      {
        onRequest: requireKey(services, 'enhancement'),
        schema: schemas.list,
      },
      async (request, reply) => {
        const principal = principalOf(request);
        await enforceRate(services.limiter, `enh:read:${principal.key.id}`, readRule, reply);
        const result = await listEnhancements({ db: store.db }, principal, request.query);
        return { ...result, request_id: request.id };
      },
    );
  };
