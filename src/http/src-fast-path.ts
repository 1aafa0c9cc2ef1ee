import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { RenditionService } from '../delivery/renditions.ts';
import type { Log } from '../lib/log.ts';
import { requestIdFor } from './request-id.ts';
import { answerSrc, clientIp, searchOf, trustedAddresses } from './src-response.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Image delivery without the framework: a page embedding images makes many `src` requests per view, and on a
 * cache hit Fastify's routing, hooks, per-request logger and reply machinery cost about as much as the rest of
 * the request (measured in docs/benchmarks.md). Only well-formed `src` GET/HEAD requests take this path, and only
 * when they are not access-logged; everything else — and any request whose answer throws — goes to Fastify, whose
 * route gives the same answer (`answerSrc`) and renders errors as every other route does.
 */
export function srcFastPath(options: {
  srcPath: string;
  renditions: RenditionService;
  logger: Log;
  closing: () => boolean;
  /** Called once per request it answers, when the response is finished (for the request metrics). */
  answered?: (method: string, status: number, seconds: number) => void;
}): (request: IncomingMessage, response: ServerResponse, fallback: Handler) => void {
  const prefix = `${options.srcPath}/`;
  const trusted = trustedAddresses(options.renditions.trustedProxies);
  return (request, response, fallback) => {
    const url = request.url ?? '';
    const method = request.method;
    if ((method !== 'GET' && method !== 'HEAD') || !url.startsWith(prefix) || options.closing()) {
      fallback(request, response);
      return;
    }
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url.slice(prefix.length) : url.slice(prefix.length, queryAt);
    const slash = path.indexOf('/');
    const token = slash > 0 ? decoded(path.slice(0, slash)) : null;
    const file = slash > 0 ? decoded(path.slice(slash + 1)) : null;
    if (token === null || file === null || file === '' || file.includes('/')) {
      fallback(request, response);
      return;
    }
    const started = performance.now();
    answerSrc(options.renditions, {
      method,
      token,
      file,
      search: searchOf(url),
      ifNoneMatch: request.headers['if-none-match'],
      accept: request.headers.accept,
      ip: clientIp(request.socket.remoteAddress, request.headers['x-forwarded-for'], trusted),
    }).then(
      (answer) => {
        response.writeHead(answer.status, { ...answer.headers, 'x-request-id': requestIdFor(request) });
        response.once('finish', () =>
          options.answered?.(method, answer.status, (performance.now() - started) / 1000),
        );
        const { body } = answer;
        if (body === null || typeof body === 'string' || Buffer.isBuffer(body)) {
          response.end(body ?? undefined);
          return;
        }
        pipeline(body, response, (error) => {
          if (error) options.logger.warn({ err: error, url }, 'rendition stream failed');
        });
      },
      () => {
        // Nothing was written: Fastify answers it again and renders (and logs) the failure like any route's.
        if (!response.headersSent) fallback(request, response);
        else response.destroy();
      },
    );
  };
}

function decoded(segment: string): string | null {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
