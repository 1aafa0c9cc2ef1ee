import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { UNMATCHED_ROUTE } from './request-metrics.ts';

/**
 * One access line per request, written when it is answered (Fastify writes two: incoming and completed): method,
 * URL (secrets redacted by the logger), client address, status, route template and duration, with the request id.
 * A route's `logLevel` still applies (`src` and probes log at `warn` and above only).
 */
export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line = {
      req: request,
      res: reply,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      duration_ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
