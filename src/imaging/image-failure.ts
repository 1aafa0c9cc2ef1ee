/** Why an image is refused. Each maps to one plain, user-facing message. */
export type ImageFailureReason = 'unsupported' | 'too_many_pixels' | 'too_many_frames' | 'corrupt';

export interface ImageFailure {
  readonly ok: false;
  readonly reason: ImageFailureReason;
  /** Safe to show to the API user. */
  readonly message: string;
  /** For logs only: the decoder's own words. */
  readonly detail?: string;
}

const UNSUPPORTED_MESSAGE = 'Unsupported file type';
export const CORRUPT_MESSAGE = 'File is truncated or corrupt';

/** Thrown inside the module (and by render); probe turns it into an `ImageFailure` value. */
export class ImageFailureError extends Error {
  override readonly name = 'ImageFailureError';

  constructor(
    readonly reason: ImageFailureReason,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }

  toFailure(): ImageFailure {
    return this.detail === undefined
      ? { ok: false, reason: this.reason, message: this.message }
      : { ok: false, reason: this.reason, message: this.message, detail: this.detail };
  }
}

export const unsupported = (detail?: string): ImageFailureError =>
  new ImageFailureError('unsupported', UNSUPPORTED_MESSAGE, detail);

export const corrupt = (detail?: string): ImageFailureError =>
  new ImageFailureError('corrupt', CORRUPT_MESSAGE, detail);
