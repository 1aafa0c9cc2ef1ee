import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../app/compose.ts';

export const healthRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    // Probed every few seconds by orchestrators: their access lines would drown the log (failures still log).
    app.get('/healthz', { schema: { hide: true }, logLevel: 'warn' }, async () => ({ status: 'ok' }));

    app.get('/readyz', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
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
