import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../app/compose.ts';
import { getEnhancement, listEnhancements } from '../../enhancements/enhancement-reads.ts';
import { EnhancementAnswerSchema, EnhancementListSchema } from '../../enhancements/enhancement-schemas.ts';
import { PRESET_LIST } from '../../enhancements/presets.ts';
import { MINUTE_MS } from '../../lib/time.ts';
import { principalOf, requireKey } from '../auth.ts';
import { enforceRate } from '../rate-limit.ts';

const tags = ['enhancement'];
const security = [{ bearer: [] }];
const Status = Type.Union([
  Type.Literal('queued'),
  Type.Literal('processing'),
  Type.Literal('completed'),
  Type.Literal('partially_completed'),
  Type.Literal('failed'),
]);

export const enhancementReadRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { config, store } = services;
    const readRule = { limit: config.readsPerMinute, periodMs: MINUTE_MS };

    app.get('/api/v1/product-image-enhancement-presets', { schema: { tags } }, async (request) => ({
      presets: PRESET_LIST,
      request_id: request.id,
    }));

    app.get(
      '/api/v1/product-image-enhancements/:id',
      {
        onRequest: requireKey(services, 'enhancement'),
        schema: {
          tags,
          security,
          params: Type.Object({ id: Type.String({ maxLength: 200 }) }),
          response: { 200: EnhancementAnswerSchema },
        },
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
        schema: {
          tags,
          security,
          querystring: Type.Object({
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            status: Type.Optional(Status),
          }),
          response: { 200: EnhancementListSchema },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        await enforceRate(services.limiter, `enh:read:${principal.key.id}`, readRule, reply);
        const result = await listEnhancements({ db: store.db }, principal, request.query);
        return { ...result, request_id: request.id };
      },
    );
  };
