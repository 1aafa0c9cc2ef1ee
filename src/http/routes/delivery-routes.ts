import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../../app/compose.ts';
import { LOG_LEVELS, type LogLevel } from '../../config/parsers.ts';
import type { RenditionService } from '../../delivery/renditions.ts';
import { srcRouteOf } from '../request-metrics.ts';
import { serviceSchemas } from '../schemas/service.ts';
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
 * `GET|HEAD <SRC_BASE>/{token}/{id}.{ext}` (docs/api.md §2.6; the viewer page `/i/{id}` is in src/web/). When `src`
 * requests are not access-logged, most of them are answered before Fastify by the fast path (src-fast-path.ts)
 * with the same `answerSrc`; this route answers the rest.
 */
export const deliveryRoutes =
  (services: Services, renditions: RenditionService): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Params: { token: string; file: string } }>(
      srcRouteOf(srcPathOf(services.config.srcBase)),
      // A page embedding images makes many requests per view: their access lines would drown the rest of the log.
      { schema: serviceSchemas.src, logLevel: srcLogLevelOf(services.config) },
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
  };
