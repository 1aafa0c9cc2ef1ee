import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../app/compose.ts';
import { probeReadiness } from '../../operations/system-status.ts';
import { serviceSchemas } from '../schemas/service.ts';

export const healthRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    // Probed every few seconds by orchestrators: their access lines would drown the log (failures still log).
    app.get('/healthz', { schema: serviceSchemas.healthz, logLevel: 'warn' }, async () => ({ status: 'ok' }));

    app.get('/readyz', { schema: serviceSchemas.readyz, logLevel: 'warn' }, async (request, reply) => {
      const checks: Record<string, 'ok' | 'failing'> = {};
      for (const { name, ok, error } of await probeReadiness(services.readiness)) {
        if (!ok) request.log.warn({ err: error, check: name }, 'readiness check failed');
        checks[name] = ok ? 'ok' : 'failing';
      }
      const ready = Object.values(checks).every((c) => c === 'ok');
      // Advisories (segmentation) say how well the server can work, not whether it can: hosting and the classical
      // path still serve while a model cannot load.
      const notes: Record<string, string> = {};
      const reported: Record<string, string> = { ...checks };
      for (const [name, health] of Object.entries(services.advisories)) {
        const { state, message } = health();
        reported[name] = state;
        if (message) notes[name] = message;
      }
      return reply.status(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        checks: reported,
        ...(Object.keys(notes).length > 0 ? { notes } : {}),
      });
    });
  };
