import { sharp } from '../sharp-lib.ts';
import type { AlphaMask } from './pixel-buffers.ts';
import { inSlices } from './pixel-slices.ts';
import { ProviderError } from './provider-error.ts';

/** Pixel bound for what a service sends back (a mask is no bigger than the image we sent). */
const MAX_RESPONSE_PIXELS = 50_000_000;
/** Aspect ratios may differ by rounding: a service that resized to 1024 and back is fine. */
const ASPECT_TOLERANCE = 0.02;
/** A PNG whose colour channels differ by no more than this everywhere is a grey mask saved as RGB. */
const GREY_TOLERANCE = 2;

const unusable = (why: string, cause?: unknown): ProviderError =>
  new ProviderError(`the segmentation service returned an unusable response: ${why}`, { cause });

/**
 * The service's answer as a mask the size of the image: a single-channel (grey) PNG is the mask itself, a
 * PNG with alpha is a cut-out whose alpha is the mask. Anything else is refused with a clear reason.
 */
export async function maskFromResponse(
  contentType: string,
  body: Buffer,
  width: number,
  height: number,
): Promise<AlphaMask> {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type !== 'image/png') unusableType(type);
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number; size: number } };
  try {
    const image = sharp(body, { failOn: 'error', limitInputPixels: MAX_RESPONSE_PIXELS });
    const { format } = await image.metadata();
    if (format !== 'png') throw new Error(`content is ${format ?? 'not an image'}`);
    decoded = await image.raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw unusable('the PNG could not be decoded', error);
  }
  const { info, data } = decoded;
  const expected = width / height;
  const got = info.width / info.height;
  if (Math.abs(got - expected) / expected > ASPECT_TOLERANCE) {
    throw unusable(`a ${info.width}×${info.height} mask does not fit a ${width}×${height} image`);
  }
  const { channels } = info;
  const pixels = info.width * info.height;
  // 16-bit PNGs decode to 2 bytes a sample.
  const wide = info.size === pixels * channels * 2;
  const sample = wide
    ? (index: number): number => Math.round(data.readUInt16LE(index * 2) / 257)
    : (index: number): number => data[index]!;
  const hasAlpha = channels === 2 || channels === 4;
  // Up to MAX_RESPONSE_PIXELS: sliced, so that a large answer never holds the event loop.
  if (!hasAlpha && channels === 3) {
    await inSlices(pixels, (start, end) => {
      for (let p = start; p < end; p++) {
        const r = sample(p * 3);
        if (
          Math.abs(r - sample(p * 3 + 1)) > GREY_TOLERANCE ||
          Math.abs(r - sample(p * 3 + 2)) > GREY_TOLERANCE
        ) {
          throw unusable('a colour image without transparency is neither a mask nor a cut-out');
        }
      }
    });
  }
  const channel = hasAlpha ? channels - 1 : 0;
  const mask = Buffer.alloc(pixels);
  await inSlices(pixels, (start, end) => {
    for (let p = start; p < end; p++) mask[p] = sample(p * channels + channel);
  });
  // A 1-channel raw input comes back with 3 channels after resize unless the channel is extracted.
  const data8 = await sharp(mask, { raw: { width: info.width, height: info.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return { width, height, data: data8 };
}

function unusableType(type: string): never {
  throw unusable(`${type || 'no content type'} instead of a PNG mask or cut-out`);
}
