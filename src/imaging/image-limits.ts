import { ImageFailureError } from './image-failure.ts';

/** Bounds on the images the server accepts and works on. The config module supplies them. */
export interface ImageLimits {
  /** Pixels of one frame (width × height). */
  readonly maxPixels: number;
  /** Frames of an animation. */
  readonly maxFrames: number;
  /** Pixels of all frames together: a long animation of big frames costs as much as one huge still. */
  readonly maxAnimationPixels: number;
  /** SVG text is parsed whole in memory, so it has its own byte bound. */
  readonly maxSvgBytes: number;
  /** One sharp pipeline (or one out-of-process decode) may not take longer than this. */
  readonly timeoutSeconds: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = Object.freeze({
  maxPixels: 100_000_000,
  maxFrames: 1000,
  maxAnimationPixels: 500_000_000,
  maxSvgBytes: 10 * 1024 * 1024,
  timeoutSeconds: 60,
});

/** `100000000` → `100`, `2500000` → `2.5`: the limit as people say it. */
function megapixels(pixels: number): string {
  return String(Math.round(pixels / 100_000) / 10);
}

export interface FrameGeometry {
  readonly width: number;
  readonly height: number;
  readonly frames: number;
}

/** Throws the plain-worded refusal when the declared geometry is over a limit. Call it before decoding. */
export function assertWithinLimits(image: FrameGeometry, limits: ImageLimits): void {
  const { width, height, frames } = image;
  if (width * height > limits.maxPixels) {
    throw new ImageFailureError(
      'too_many_pixels',
      `Image too large: ${width}x${height} pixels exceeds the ${megapixels(limits.maxPixels)} megapixel limit`,
    );
  }
  if (frames > limits.maxFrames) {
    throw new ImageFailureError(
      'too_many_frames',
      `Too many animation frames: ${frames} exceeds the limit of ${limits.maxFrames}`,
    );
  }
  if (frames > 1 && width * height * frames > limits.maxAnimationPixels) {
    throw new ImageFailureError(
      'too_many_frames',
      `Animation too large: ${frames} frames of ${width}x${height} pixels exceed the ` +
        `${megapixels(limits.maxAnimationPixels)} megapixel limit for all frames together`,
    );
  }
}
