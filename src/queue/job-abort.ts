/** Why a running handler is asked to stop; the same reasons and wording on every backend. */
export type AbortCause = 'stop' | 'lease' | 'close';

const WHY: Record<AbortCause, string> = {
  stop: 'the queue is stopping',
  lease: 'the job lease was lost',
  close: 'the queue was closed',
};

/** Aborts a running job's signal once, remembering the first cause. */
export function abortRunningJob(
  entry: { controller: AbortController; cause?: AbortCause },
  cause: AbortCause,
): void {
  if (entry.controller.signal.aborted) return;
  entry.cause = cause;
  entry.controller.abort(new DOMException(WHY[cause], 'AbortError'));
}
