import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../app/compose.ts';
import { AppError } from '../errors/app-error.ts';

type MetricsServices = Pick<Services, 'config' | 'metrics' | 'logger'>;

/**
 * Whether an `Authorization` header carries the metrics token, compared in constant time (both sides hashed, so
 * neither the length nor a prefix leaks). With no token configured, every caller passes.
 */
function tokenCheck(token: string | undefined): (header: string | undefined) => boolean {
  if (!token) return () => true;
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    const given = /^Bearer (\S+)$/i.exec(header?.trim() ?? '')?.[1] ?? '';
    return timingSafeEqual(createHash('sha256').update(given).digest(), expected);
  };
}

/**
 * `GET /metrics` on the main port, when `LIGHTBOX_METRICS_TOKEN` is set and no metrics port is: Bearer token
 * required (401 in the hosting envelope otherwise, nothing of the metrics shown). Without a token the main port has
 * no `/metrics` (404): metrics name routes and volumes an anonymous caller has no business reading.
 */
export const metricsRoutes =
  (services: MetricsServices): FastifyPluginAsync =>
  async (app) => {
    const { metricsToken, metricsPort } = services.config;
    if (!metricsToken || metricsPort !== undefined) return;
    const allowed = tokenCheck(metricsToken);
    // Scraped every few seconds: its access lines would drown the log.
    app.get('/metrics', { schema: { hide: true }, logLevel: 'warn' }, async (request, reply) => {
      if (!request.headers.authorization)
        throw new AppError('missing_api_key', { message: 'Missing metrics token.' });
      if (!allowed(request.headers.authorization))
        throw new AppError('invalid_api_key', { message: 'Invalid metrics token.' });
      return reply.type(services.metrics.contentType).send(await services.metrics.scrape());
    });
  };

export interface MetricsListener {
  /** `http://host:port` */
  url: string;
  close(): Promise<void>;
}

/**
 * `LIGHTBOX_METRICS_PORT`: `/metrics` on a listener of its own (loopback unless `LIGHTBOX_METRICS_HOST` says
 * otherwise), so the main port need not expose it; the token is still required when one is set. Null when no port
 * is configured. Answers nothing but `GET /metrics`.
 */
export async function startMetricsListener(services: MetricsServices): Promise<MetricsListener | null> {
  const { metricsPort, metricsHost, metricsToken } = services.config;
  if (metricsPort === undefined) return null;
  const allowed = tokenCheck(metricsToken);
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (!allowed(request.headers.authorization)) {
      response
        .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
        .end('unauthorized\n');
      return;
    }
    services.metrics.scrape().then(
      (body) => response.writeHead(200, { 'content-type': services.metrics.contentType }).end(body),
      (error: unknown) => {
        services.logger.error({ err: error }, 'metrics scrape failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(metricsPort, metricsHost, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
