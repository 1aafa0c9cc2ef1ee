import { createServer } from 'node:http';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Services } from '../app/compose.ts';
import { createRenditionService } from '../delivery/renditions.ts';
import { AppError } from '../errors/app-error.ts';
import { htmlErrorPage } from '../web/error-page.ts';
import { webRoutes } from '../web/web-routes.ts';
import { createCors } from './cors.ts';
import { type HtmlErrors, installErrorHandling, sendError } from './error-handler.ts';
import { installJsonParser } from './json-body.ts';
import { metricsRoutes } from './metrics-endpoint.ts';
import { registerOpenApi } from './openapi/document.ts';
import { receiveUpload } from './receive-upload.ts';
import { requestIdFor } from './request-id.ts';
import { OneLineRequestLog } from './request-log.ts';
import { familyOfRequest, srcRouteOf, UNMATCHED_ROUTE } from './request-metrics.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { accessLogged, deliveryRoutes, srcLogLevelOf, srcPathOf } from './routes/delivery-routes.ts';
import { enhancementCreateRoutes } from './routes/enhancement-create-routes.ts';
import { enhancementReadRoutes } from './routes/enhancement-read-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';
import { hostingKeyRoutes } from './routes/hosting-key-routes.ts';
import { mcpRoutes } from './routes/mcp-routes.ts';
import { mediaRoutes } from './routes/media-routes.ts';
import { referenceRoutes } from './routes/reference-routes.ts';
import { usageRoutes } from './routes/usage-routes.ts';
import { serviceSchemas } from './schemas/service.ts';
import { srcFastPath } from './src-fast-path.ts';
import { validatorCompiler } from './validators.ts';

export type App = FastifyInstance;

export async function buildServer(services: Services): Promise<App> {
  const { config } = services;
  const renditions = createRenditionService(services, { hotCacheBytes: config.hotCacheMb * 1024 * 1024 });
  let closing = false;
  const srcPath = srcPathOf(config.srcBase);
  const srcRoute = srcRouteOf(srcPath);
  // Access-logged `src` requests need Fastify's request logging; otherwise hits skip the framework. `src` mounted at
  // the root shares the URL space with every other route: then only Fastify's router can tell them apart.
  const fastPath =
    accessLogged(srcLogLevelOf(config)) || srcPath === ''
      ? null
      : srcFastPath({
          srcPath,
          renditions,
          logger: services.logger,
          closing: () => closing,
          answered: (method, status, seconds) =>
            services.metrics.httpRequest({ family: 'src', route: srcRoute, method, status, seconds }),
        });
  const cors = createCors({ origins: config.corsOrigins, srcPath });
  const htmlErrors: HtmlErrors = (facts) => htmlErrorPage(config, facts);
  /** Headers every answer carries, set before anything else can fail: the request id and CORS. */
  const commonHeaders = (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
    const corsHeaders = cors?.headers(request.url, request.headers.origin);
    if (corsHeaders) reply.headers(corsHeaders);
  };
  const app = Fastify({
    serverFactory: (handler) =>
      createServer(fastPath ? (request, response) => fastPath(request, response, handler) : handler),
    loggerInstance: services.logger as FastifyBaseLogger,
    logController: new OneLineRequestLog(),
    genReqId: requestIdFor,
    bodyLimit: config.bodyLimitBytes,
    // Longer path parameters than this are refused by the router (frameworkErrors below answers them 404).
    routerOptions: { maxParamLength: 512 },
    // What the router refuses before any route runs: a path that does not decode, or a parameter over the length
    // limit, names nothing that exists — 404 `not_found` as the src fast path answers, in the path's family.
    frameworkErrors: (error, request, reply) => {
      commonHeaders(request, reply);
      if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return sendError(request, reply, new AppError('not_found'), htmlErrors);
      }
      request.log.error({ err: error }, 'router error');
      return sendError(request, reply, new AppError('unexpected'), htmlErrors);
    },
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('preClose', async () => {
    closing = true;
  });
  // Renditions already answered may still be on their way into the cache: finish those before the store closes.
  app.addHook('onClose', () => renditions.drain());
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document; they never shape the wire. fast-json-stringify would drop every field a schema does not
  // list, so bodies are written by JSON.stringify as they always were (the test suites check them against the
  // document instead: test/support/openapi-conformance.ts).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook('onRequest', async (request, reply) => {
    commonHeaders(request, reply);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const seconds = reply.elapsedTime / 1000;
    services.metrics.httpRequest({
      family: familyOfRequest(route === UNMATCHED_ROUTE ? request.url : route, srcPath),
      route,
      method: request.method,
      status: reply.statusCode,
      seconds,
    });
  });
  installErrorHandling(app, htmlErrors);
  installJsonParser(app);
  // Limits are set per request in receive-upload (they depend on the caller).
  await app.register(multipart);

  await registerOpenApi(app, { publicUrl: config.publicUrl, keyPrefix: config.keyPrefix });

  if (cors) {
    // Preflights carry no credentials: answered here, before (and instead of) any route's auth.
    for (const prefix of ['/v1/*', '/api/*']) {
      app.options(prefix, { schema: { hide: true } }, async (request, reply) => {
        const headers = cors.preflight(request.url, request.headers.origin);
        if (!headers) return sendError(request, reply, new AppError('not_found'));
        return reply.status(204).headers(headers).send();
      });
    }
  }

  await app.register(healthRoutes(services));
  await app.register(metricsRoutes(services));
  await app.register(hostingKeyRoutes(services));
  await app.register(usageRoutes(services));
  await app.register(mediaRoutes(services));
  await app.register(deliveryRoutes(services, renditions));
  await app.register(adminRoutes(services));
  await app.register(enhancementReadRoutes(services));
  await app.register(enhancementCreateRoutes(services));
  await app.register(webRoutes(services, { receiveUpload }, { '/i/:id': serviceSchemas.viewer }));
  await app.register(referenceRoutes(services));
  await app.register(mcpRoutes(services, app));
  return app;
}
