import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../app/compose.ts';
import { serviceSchemas } from '../schemas/service.ts';

export const healthRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', { schema: serviceSchemas.healthz }, async () => ({ status: 'ok' }));

    app.get('/readyz', { schema: serviceSchemas.readyz }, async (request, reply) => {
      const checks: Record<string, 'ok' | 'failing'> = {};
      for (const [name, probe] of Object.entries(services.readiness)) {
        try {
          await probe();
          checks[name] = 'ok';
        } catch (error) {
          request.log.warn({ err: error, check: name }, 'readiness check failed');
          checks[name] = 'failing';
        }
      }
      const ready = Object.values(checks).every((c) => c === 'ok');
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    });
  };
