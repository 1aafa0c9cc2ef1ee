import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Services } from '../../app/compose.ts';
import { createRenditionService } from '../../delivery/renditions.ts';
import { viewerPage } from '../../delivery/viewer-page.ts';
import { htmlPage } from '../html-page.ts';

const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

const notFound = (reply: FastifyReply) =>
  reply
    .status(404)
    .header('content-type', 'text/plain; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send('Not found');

/** `GET|HEAD <SRC_BASE>/{token}/{id}.{ext}` and the viewer page (API.md §2.6–§2.7). */
export const deliveryRoutes =
  (services: Services): FastifyPluginAsync =>
  async (app) => {
    const renditions = createRenditionService(services, {
      hotCacheBytes: services.config.hotCacheMb * 1024 * 1024,
    });
    const srcPath = new URL(services.config.srcBase).pathname.replace(/\/$/, '');

    app.get<{ Params: { token: string; file: string }; Querystring: Record<string, string> }>(
      `${srcPath}/:token/:file`,
      // A page embedding images makes many requests per view: their access lines would drown the rest of the log.
      { schema: { hide: true }, logLevel: services.config.srcLogLevel },
      async (request, reply) => {
        const rendition = await renditions.resolve(request.params.token, request.params.file, request.query);
        if (!rendition) return notFound(reply);
        const match = request.headers['if-none-match'];
        // The ETag is known from the key: a revalidation needs no image byte, not even a computed rendition.
        const fresh =
          match?.split(',').some((tag) => tag.trim() === rendition.etag || tag.trim() === '*') ?? false;
        const loaded = fresh ? null : await renditions.load(rendition, { head: request.method === 'HEAD' });
        if (!fresh && !loaded) return notFound(reply);
        reply
          .header('cache-control', 'public, max-age=31536000, immutable')
          .header('etag', rendition.etag)
          .header('x-content-type-options', 'nosniff')
          .header('content-type', rendition.contentType);
        if (rendition.svg) reply.header('content-security-policy', SVG_CSP);
        if (!loaded) return reply.status(304).send();
        reply.header('content-length', String(loaded.size));
        return reply.send(loaded.body);
      },
    );

    app.get<{ Params: { id: string } }>('/i/:id', { schema: { hide: true } }, async (request, reply) => {
      const html = await viewerPage({ db: services.store.db, bases: services.config }, request.params.id);
      if (!html) {
        return reply
          .status(404)
          .header('content-type', 'text/html; charset=utf-8')
          .send(htmlPage('Not found', '<h1>Not found</h1><p>This image does not exist or is private.</p>'));
      }
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'public, max-age=300')
        .header('x-content-type-options', 'nosniff')
        .send(html);
    });
  };
