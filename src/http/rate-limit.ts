import type { FastifyReply } from 'fastify';
import { AppError } from '../errors/app-error.ts';
import type { RateLimiter, RateRule } from '../limiter/limiter.ts';
import { rateHeaders } from '../limiter/rate-headers.ts';

/**
 * Applies one rate rule to a request: headers on every response, 429 `rate_limit_exceeded` when spent, and
 * 500 `rate_limit_unavailable` when the limiter cannot decide (fail closed, never open).
 */
export async function enforceRate(
  limiter: RateLimiter,
  key: string,
  rule: RateRule,
  reply: FastifyReply,
): Promise<void> {
  let decision: Awaited<ReturnType<RateLimiter['hit']>>;
  try {
    decision = await limiter.hit(key, rule);
  } catch (error) {
    reply.log.error({ err: error }, 'rate limiter unavailable');
    throw new AppError('rate_limit_unavailable');
  }
  reply.headers(rateHeaders(decision, rule));
  if (!decision.allowed) {
    throw new AppError('rate_limit_exceeded', {
      retryAfter: decision.retryAfter,
      action: { type: 'wait', seconds: decision.retryAfter },
    });
  }
}
