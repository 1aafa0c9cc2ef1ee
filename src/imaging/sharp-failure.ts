import { corrupt, ImageFailureError } from './image-failure.ts';

/**
 * Any error out of a sharp pipeline, as the refusal the API shows (libvips' words go to the log).
 * File-system errors (ENOENT, EIO…) are the server's problem, not the file's: they are rethrown as they are.
 */
export function asImageFailure(error: unknown): ImageFailureError {
  if (error instanceof ImageFailureError) return error;
  if (error instanceof Error && 'syscall' in error) throw error;
  const detail = error instanceof Error ? error.message : String(error);
  if (/timeout/i.test(detail))
    return new ImageFailureError('corrupt', 'Image could not be decoded in time', detail);
  if (/pixel limit/i.test(detail)) return new ImageFailureError('too_many_pixels', 'Image too large', detail);
  return corrupt(detail);
}
