import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../../app/compose.ts';
import { createEnhancement } from '../../enhancements/create-enhancement.ts';
import { PreservationLevelSchema, PresetSchema } from '../../enhancements/presets.ts';
import { MINUTE_MS } from '../../lib/time.ts';
import { principalOf, requireKey } from '../auth.ts';
import { enforceRate } from '../rate-limit.ts';

const Body = Type.Object(
  {
    images: Type.Array(
      Type.Object(
        {
          source_url: Type.String({ minLength: 1, maxLength: 2048 }),
          external_id: Type.Optional(Type.String({ maxLength: 255 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 20 },
    ),
    preset: Type.Optional(PresetSchema),
    preservation_level: Type.Optional(PreservationLevelSchema),
    instructions: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    webhook_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
  },
  { additionalProperties: false },
);

export const enhancementCreateRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    const createRule = { limit: services.config.createsPerMinute, periodMs: MINUTE_MS };
    app.post(
      '/api/v1/product-image-enhancements',
      {
        onRequest: requireKey(services, 'enhancement'),
        // Rate limiting precedes body parsing and validation: a flood of malformed requests (bad JSON included)
        // still spends the budget, and every answer carries the X-RateLimit-* headers.
        preParsing: async (request, reply, payload) => {
          await enforceRate(services.limiter, `enh:create:${principalOf(request).key.id}`, createRule, reply);
          return payload;
        },
        schema: {
          tags: ['enhancement'],
          security: [{ bearer: [] }],
          summary: 'Create a batch of product image enhancements',
          headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
          body: Body,
        },
      },
      async (request, reply) => {
        const header = request.headers['idempotency-key'];
        const result = await createEnhancement(services, principalOf(request), {
          body: request.body,
          idempotencyKey: typeof header === 'string' ? header : undefined,
          requestId: request.id,
        });
        reply.header('location', result.location);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.status(result.status).send(result.body);
      },
    );
  };
