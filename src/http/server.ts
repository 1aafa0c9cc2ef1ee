import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Services } from '../app/compose.ts';
import { installErrorHandling } from './error-handler.ts';
import { requestIdFor } from './request-id.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { deliveryRoutes } from './routes/delivery-routes.ts';
import { enhancementCreateRoutes } from './routes/enhancement-create-routes.ts';
import { enhancementReadRoutes } from './routes/enhancement-read-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { hostingKeyRoutes } from './routes/hosting-key-routes.ts';
import { mediaRoutes } from './routes/media-routes.ts';
import { signedLinkRoutes } from './routes/signed-link-routes.ts';
import { usageRoutes } from './routes/usage-routes.ts';
import { validatorCompiler } from './validators.ts';

export type App = FastifyInstance;

export async function buildServer(services: Services): Promise<App> {
  const { config } = services;
  const app = Fastify({
    loggerInstance: services.logger as FastifyBaseLogger,
    genReqId: requestIdFor,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app);
  // Limits are set per request in receive-upload (they depend on the caller).
  await app.register(multipart);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Lightbox',
        version: '1',
        description: 'img.pro-compatible hosting and AI Gen Studio-compatible enhancement.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes(services));
  await app.register(hostingKeyRoutes(services));
  await app.register(usageRoutes(services));
  await app.register(mediaRoutes(services));
  await app.register(deliveryRoutes(services));
  await app.register(signedLinkRoutes(services));
  await app.register(adminRoutes(services));
  await app.register(enhancementReadRoutes(services));
  await app.register(enhancementCreateRoutes(services));
  return app;
}
