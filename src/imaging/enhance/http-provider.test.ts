import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharp } from '../sharp-lib.ts';
import { createEnhancer } from './create-enhancer.ts';
import type { HttpFetch } from './enhance-types.ts';
import { httpProvider } from './http-provider.ts';
import type { RgbImage } from './pixel-buffers.ts';
import { ProviderError } from './provider-error.ts';
import {
  type LoopbackService,
  loopbackFetch,
  type ServiceReply,
  startLoopbackService,
} from './testing/loopback-segmentation-service.ts';
import { decodeOutput, frameIsPureWhite } from './testing/measure-catalog-image.ts';
import { darkProductPhoto, type ProductPhoto } from './testing/product-photos.ts';

const direct = <T>(job: () => Promise<T>): Promise<T> => job();
const image: RgbImage = { width: 300, height: 200, data: Buffer.alloc(300 * 200 * 3, 230) };

let service: LoopbackService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function serve(reply: ServiceReply): Promise<LoopbackService> {
  service = await startLoopbackService(reply);
  return service;
}

const png = (
  response: { setHeader(name: string, value: string): void; end(body: Buffer): void },
  body: Buffer,
): void => {
  response.setHeader('content-type', 'image/png');
  response.end(body);
};

/** A grey mask: a white rectangle (the product) on black. */
function greyMask(width: number, height: number, channels: 1 | 3 = 1): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="${width}" height="${height}" fill="#000"/><rect x="${width / 4}" y="${height / 4}" width="${width / 2}" height="${height / 2}" fill="#fff"/></svg>`;
  const pipeline = sharp(Buffer.from(svg)).removeAlpha();
  return (channels === 1 ? pipeline.toColourspace('b-w') : pipeline).png().toBuffer();
}

function segment(url: string, timeoutMs = 5_000, fetch: HttpFetch = loopbackFetch) {
  return httpProvider({ url, fetch, timeoutMs }, direct).segment(image);
}

describe('http provider', () => {
  it('POSTs the image as JPEG and reads a single-channel PNG mask, resized to the image', async () => {
    const mask = await greyMask(600, 400);
    const stub = await serve((_body, _i, response) => png(response, mask));
    const { mask: result } = await segment(stub.url);
    expect([result.width, result.height, result.data.length]).toEqual([300, 200, 300 * 200]);
    expect(result.data[100 * 300 + 150]).toBe(255);
    expect(result.data[10 * 300 + 10]).toBe(0);
    expect(stub.requests).toHaveLength(1);
    expect((await sharp(stub.requests[0]!).metadata()).format).toBe('jpeg');
  });

  it('reads the alpha channel of a cut-out', async () => {
    const cutout = await sharp({
      create: { width: 300, height: 200, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0 } },
    })
      .composite([
        {
          input: {
            create: { width: 100, height: 100, channels: 4, background: { r: 200, g: 0, b: 0, alpha: 1 } },
          },
          left: 100,
          top: 50,
        },
      ])
      .png()
      .toBuffer();
    const stub = await serve((_body, _i, response) => png(response, cutout));
    const { mask } = await segment(stub.url);
    expect(mask.data[100 * 300 + 150]).toBe(255);
    expect(mask.data[100 * 300 + 50]).toBe(0);
  });

  it('accepts a grey mask saved as RGB', async () => {
    const mask = await greyMask(300, 200, 3);
    const stub = await serve((_body, _i, response) => png(response, mask));
    const { mask: result } = await segment(stub.url);
    expect(result.data[100 * 300 + 150]).toBe(255);
  });

  it('retries once after a 5xx', async () => {
    const mask = await greyMask(300, 200);
    const stub = await serve((_body, index, response) => {
      if (index === 0) {
        response.statusCode = 503;
        response.end('busy');
      } else png(response, mask);
    });
    await expect(segment(stub.url)).resolves.toBeDefined();
    expect(stub.requests).toHaveLength(2);
  });

  it('fails after two 5xx', async () => {
    const stub = await serve((_body, _i, response) => {
      response.statusCode = 502;
      response.end();
    });
    await expect(segment(stub.url)).rejects.toThrow(
      new ProviderError('the segmentation service failed with HTTP 502 (tried twice)'),
    );
    expect(stub.requests).toHaveLength(2);
  });

  it('does not retry a 4xx', async () => {
    const stub = await serve((_body, _i, response) => {
      response.statusCode = 413;
      response.end();
    });
    await expect(segment(stub.url)).rejects.toThrow(
      'the segmentation service refused the image with HTTP 413',
    );
    expect(stub.requests).toHaveLength(1);
  });

  it('times out, retries once, then fails', async () => {
    const stub = await serve(() => {
      // never answers
    });
    const started = Date.now();
    await expect(segment(stub.url, 300)).rejects.toThrow(
      'the segmentation service did not answer within 0.3 s (tried twice)',
    );
    expect(stub.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('stops waiting for a fetch that ignores its own timeout', async () => {
    const hanging: HttpFetch = () => new Promise(() => {});
    await expect(segment('http://127.0.0.1:9/segment', 50, hanging)).rejects.toThrow(/did not answer within/);
  });

  it('refuses unusable answers with a clear reason', async () => {
    const cases: Array<[ServiceReply, RegExp]> = [
      [
        (_b, _i, r) => {
          r.setHeader('content-type', 'text/html');
          r.end('<html>');
        },
        /unusable response: text\/html instead of a PNG mask or cut-out/,
      ],
      [(_b, _i, r) => png(r, Buffer.from('not a png')), /unusable response: the PNG could not be decoded/],
      [
        async (_b, _i, r) => png(r, await greyMask(200, 200)),
        /unusable response: a 200×200 mask does not fit a 300×200 image/,
      ],
      [
        async (_b, _i, r) =>
          png(
            r,
            await sharp({ create: { width: 300, height: 200, channels: 3, background: '#c04020' } })
              .png()
              .toBuffer(),
          ),
        /unusable response: a colour image without transparency is neither a mask nor a cut-out/,
      ],
    ];
    for (const [reply, message] of cases) {
      const stub = await serve(reply);
      await expect(segment(stub.url)).rejects.toThrow(message);
      await stub.close();
    }
    service = undefined;
  });

  it('reports an unreachable service', async () => {
    const refused: HttpFetch = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9'));
    const failure = await segment('http://127.0.0.1:9/segment', 1000, refused).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as Error).message).toBe('the segmentation service could not be reached');
  });
});

describe('provider chain', () => {
  let photo: ProductPhoto;
  beforeAll(async () => {
    photo = await darkProductPhoto();
  });

  const enhanceWith = (url: string) => {
    const enhancer = createEnhancer({
      providers: ['http', 'classical'],
      httpUrl: url,
      httpFetch: loopbackFetch,
      timeoutMs: 5_000,
      onnxConcurrency: 1,
      onnxThreads: 1,
    });
    return enhancer
      .enhance({ input: photo.jpeg, preset: 'single_product_white_background', preservationLevel: 'strict' })
      .finally(() => enhancer.close());
  };

  it('uses the http mask when the service answers', async () => {
    const stub = await serve(async (body, _i, response) => {
      // A service that thresholds the photo: dark pixels are product.
      const mask = await sharp(body).greyscale().threshold(128).negate().png().toBuffer();
      png(response, mask);
    });
    const result = await enhanceWith(stub.url);
    expect(result.provider).toBe('http');
    expect(frameIsPureWhite(await decodeOutput(result.image))).toBe(true);
  });

  it('falls through to classical when the service fails, and records which provider ran', async () => {
    const stub = await serve((_body, _i, response) => {
      response.statusCode = 500;
      response.end();
    });
    const result = await enhanceWith(stub.url);
    expect(result.provider).toBe('classical');
    expect(stub.requests).toHaveLength(2);
  });

  it('falls through when the service marks nothing, or everything, as product', async () => {
    for (const fill of ['#000', '#fff']) {
      const mask = await sharp({ create: { width: 1200, height: 900, channels: 3, background: fill } })
        .toColourspace('b-w')
        .png()
        .toBuffer();
      const stub = await serve((_body, _i, response) => png(response, mask));
      expect((await enhanceWith(stub.url)).provider).toBe('classical');
      await stub.close();
    }
    service = undefined;
  });

  it('when every provider fails, throws the last clear message as a ProviderError', async () => {
    const cluttered = await import('./testing/product-photos.ts').then((m) => m.clutteredPhoto());
    const stub = await serve((_body, _i, response) => {
      response.statusCode = 500;
      response.end();
    });
    const enhancer = createEnhancer({
      providers: ['http', 'classical'],
      httpUrl: stub.url,
      httpFetch: loopbackFetch,
      timeoutMs: 5_000,
      onnxConcurrency: 1,
      onnxThreads: 1,
    });
    const failure = await enhancer
      .enhance({ input: cluttered.jpeg, preset: 'clean_catalog_group', preservationLevel: 'strict' })
      .catch((e: unknown) => e);
    await enhancer.close();
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as Error).message).toMatch(
      /^classical segmentation needs a studio backdrop around the product/,
    );
    expect((failure as Error).cause).toBeInstanceOf(AggregateError);
  });

  it('stops at once when the item is aborted', async () => {
    const stub = await serve(() => {
      // never answers
    });
    const enhancer = createEnhancer({
      providers: ['http', 'classical'],
      httpUrl: stub.url,
      httpFetch: loopbackFetch,
      timeoutMs: 5_000,
      onnxConcurrency: 1,
      onnxThreads: 1,
    });
    const controller = new AbortController();
    const attempt = enhancer.enhance({
      input: photo.jpeg,
      preset: 'single_product_white_background',
      preservationLevel: 'strict',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('lease lost')), 200);
    await expect(attempt).rejects.toThrow('lease lost');
    await enhancer.close();
  });
});
