import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { usageOf } from '../../accounts/usage.ts';
import type { Services } from '../../app/compose.ts';
import { principalOf, requireKey } from '../auth.ts';
import { hostingSchemas } from '../schemas/hosting.ts';

export const usageRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/v1/usage',
      { onRequest: requireKey(services, 'hosting'), schema: hostingSchemas.usage },
      async (request) => usageOf(services, principalOf(request)),
    );
  };
