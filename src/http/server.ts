import { createServer } from 'node:http';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Services } from '../app/compose.ts';
import { createRenditionService } from '../delivery/renditions.ts';
import { installErrorHandling } from './error-handler.ts';
import { requestIdFor } from './request-id.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { accessLogged, deliveryRoutes, srcLogLevelOf, srcPathOf } from './routes/delivery-routes.ts';
import { enhancementCreateRoutes } from './routes/enhancement-create-routes.ts';
import { enhancementReadRoutes } from './routes/enhancement-read-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { hostingKeyRoutes } from './routes/hosting-key-routes.ts';
import { mediaRoutes } from './routes/media-routes.ts';
import { signedLinkRoutes } from './routes/signed-link-routes.ts';
import { usageRoutes } from './routes/usage-routes.ts';
import { srcFastPath } from './src-fast-path.ts';
import { validatorCompiler } from './validators.ts';

export type App = FastifyInstance;

export async function buildServer(services: Services): Promise<App> {
  const { config } = services;
  const renditions = createRenditionService(services, { hotCacheBytes: config.hotCacheMb * 1024 * 1024 });
  let closing = false;
  const srcPath = srcPathOf(config.srcBase);
  // Access-logged `src` requests need Fastify's request logging; otherwise hits skip the framework. `src` mounted at
  // the root shares the URL space with every other route: then only Fastify's router can tell them apart.
  const fastPath =
    accessLogged(srcLogLevelOf(config)) || srcPath === ''
      ? null
      : srcFastPath({ srcPath, renditions, logger: services.logger, closing: () => closing });
  const app = Fastify({
    serverFactory: (handler) =>
      createServer(fastPath ? (request, response) => fastPath(request, response, handler) : handler),
    loggerInstance: services.logger as FastifyBaseLogger,
    genReqId: requestIdFor,
    bodyLimit: config.bodyLimitBytes,
    // A too-long token or id is an unknown one (404, as the src fast path answers), not a 414.
    routerOptions: { maxParamLength: 512 },
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('preClose', async () => {
    closing = true;
  });
  // Renditions already answered may still be on their way into the cache: finish those before the store closes.
  app.addHook('onClose', () => renditions.drain());
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
  await app.register(deliveryRoutes(services, renditions));
  await app.register(signedLinkRoutes(services));
  await app.register(adminRoutes(services));
  await app.register(enhancementReadRoutes(services));
  await app.register(enhancementCreateRoutes(services));
  return app;
}
