import type { Deadline } from './deadline.ts';
import { type FetchFailure, fetchFailure } from './fetch-result.ts';

export function timeoutFailure(deadline: Deadline): FetchFailure {
  return fetchFailure('timeout', 'URL fetch timeout', {
    detail: `no complete response within ${deadline.ms} ms`,
  });
}

/**
 * A thrown socket, TLS or parser error. Once the deadline has passed every error is a timeout:
 * aborting is what produced it.
 */
export function transportFailure(error: unknown, deadline: Deadline, status?: number): FetchFailure {
  if (deadline.expired) return timeoutFailure(deadline);
  const code = errorCode(error);
  return fetchFailure('unreachable', code ? `URL unreachable (${code})` : 'URL unreachable', {
    status,
    detail: error instanceof Error ? error.message : String(error),
  });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
