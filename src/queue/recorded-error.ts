/**
 * How both backends keep a job's last error: `Name: message` text (readable in the jobs table, and BullMQ's
 * failedReason). The name survives so an `onExhausted` that runs after a crash can still classify the failure.
 */
export function recordError(error: unknown): string {
  if (error instanceof Error) return `${error.name || 'Error'}: ${error.message}`;
  return `Error: ${String(error)}`;
}

const RECORDED = /^([A-Za-z_$][\w$]*): ([\s\S]*)$/;

const LOST_ATTEMPT =
  'JobInterrupted: the last attempt ended without a result (its worker stopped or crashed)';

/** The error `onExhausted` receives when the original object is gone (the worker that caught it died). */
export function restoreError(recorded: string | null | undefined): Error {
  const match = RECORDED.exec(recorded || LOST_ATTEMPT);
  const error = new Error(match?.[2] ?? recorded ?? '');
  error.name = match?.[1] ?? 'Error';
  return error;
}
