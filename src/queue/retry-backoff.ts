/** Exponential backoff between attempts, shared by both backends so their timing agrees. */
export interface RetryBackoff {
  /** Delay scale after the first failure. */
  baseMs: number;
  /** Upper bound of any delay. */
  capMs: number;
}

const DEFAULT_RETRY_BACKOFF: RetryBackoff = { baseMs: 1_000, capMs: 5 * 60_000 };

/**
 * Delay before the start that follows start number `attempt`: `base · 2^(attempt-1)` capped, then "equal jitter"
 * (a random point in its upper half). Half is kept fixed so retries never bunch up at zero; the random half spreads
 * the workers that failed together (a provider outage) so they do not come back in lockstep.
 */
export function retryDelayMs(
  attempt: number,
  backoff: RetryBackoff,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

export function resolveBackoff(partial: Partial<RetryBackoff> | undefined): RetryBackoff {
  return { ...DEFAULT_RETRY_BACKOFF, ...partial };
}
