import type { FastifyPluginAsync } from 'fastify';
import { usageOf } from '../../accounts/usage.ts';
import type { Services } from '../../app/compose.ts';
import { principalOf, requireKey } from '../auth.ts';

export const usageRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/v1/usage',
      {
        onRequest: requireKey(services, 'hosting'),
        schema: {
          tags: ['hosting'],
          summary: 'Plan, quotas and credits of the calling account',
          security: [{ bearer: [] }],
        },
      },
      async (request) => usageOf(services, principalOf(request)),
    );
  };
