import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../app/compose.ts';
import { createEnhancement } from '../../enhancements/create-enhancement.ts';
import { MINUTE_MS } from '../../lib/time.ts';
import { principalOf, requireKey } from '../auth.ts';
import { enforceRate } from '../rate-limit.ts';
import { enhancementSchemas } from '../schemas/enhancement.ts';

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
        schema: enhancementSchemas.create,
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
