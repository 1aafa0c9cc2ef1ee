import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../app/compose.ts';
import { LOG_LEVELS, type LogLevel } from '../../config/parsers.ts';
import type { RenditionService } from '../../delivery/renditions.ts';
import { viewerPage } from '../../delivery/viewer-page.ts';
import { htmlPage } from '../html-page.ts';
import { answerSrc, searchOf } from '../src-response.ts';

/** The level `src` requests log at: `LIGHTBOX_SRC_LOG_LEVEL`, never more verbose than `LIGHTBOX_LOG_LEVEL`. */
export const srcLogLevelOf = (config: { logLevel: LogLevel; srcLogLevel: LogLevel }): LogLevel =>
  LOG_LEVELS.indexOf(config.srcLogLevel) > LOG_LEVELS.indexOf(config.logLevel)
    ? config.srcLogLevel
    : config.logLevel;

/** Whether Fastify writes a line per request at this level. */
export const accessLogged = (level: LogLevel): boolean =>
  LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf('info');

/** The path part of `LIGHTBOX_SRC_BASE`, without a trailing slash. */
export const srcPathOf = (srcBase: string): string => new URL(srcBase).pathname.replace(/\/$/, '');

/**
 * `GET|HEAD <SRC_BASE>/{token}/{id}.{ext}` and the viewer page (docs/api.md §2.6–§2.7). When `src` requests are not
 * access-logged, most of them are answered before Fastify by the fast path (src-fast-path.ts) with the same
 * `answerSrc`; this route answers the rest.
 */
export const deliveryRoutes =
  (services: Services, renditions: RenditionService): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: { token: string; file: string } }>(
      `${srcPathOf(services.config.srcBase)}/:token/:file`,
      // A page embedding images makes many requests per view: their access lines would drown the rest of the log.
      { schema: { hide: true }, logLevel: srcLogLevelOf(services.config) },
      async (request, reply) => {
        const answer = await answerSrc(renditions, {
          method: request.method,
          token: request.params.token,
          file: request.params.file,
          search: searchOf(request.raw.url ?? ''),
          ifNoneMatch: request.headers['if-none-match'],
          accept: request.headers.accept,
          ip: request.ip,
        });
        return reply
          .status(answer.status)
          .headers(answer.headers)
          .send(answer.body ?? undefined);
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
