import { Type } from '@sinclair/typebox';
import { operation, RETRY_AFTER_HEADER } from '../openapi/operation.ts';
import { StringEnum } from './common.ts';

/** Outside the API families: image delivery, the viewer page, health probes (docs/api.md §2.6, §2.7, §6). */

const Checks = Type.Record(Type.String(), StringEnum(['ok', 'degraded', 'failing'] as const), {
  description:
    'Each backend (store, blobs, queue) and whether it answered; with a segmentation model in use also ' +
    '`segmentation`: `degraded` (the model or its runtime cannot load; another provider serves) or `failing` (no ' +
    'provider can serve). Segmentation never makes the server unready.',
});
const Notes = Type.Optional(
  Type.Record(Type.String(), Type.String(), {
    description: 'Why a check is not `ok`, where there is more to say.',
  }),
);

const Html = Type.String({ description: 'An HTML page.' });
const Text = Type.String();
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif', 'image/svg+xml'];
const Image = Type.String({ format: 'binary', description: 'The image bytes (none for HEAD).' });

const CACHE_HEADERS = {
  'Cache-Control': {
    type: 'string',
    description: '`public, max-age=31536000, immutable` (a stand-in of another size: `public, max-age=60`).',
  },
  ETag: { type: 'string', description: 'Strong; send it back as `If-None-Match` for a 304.' },
  'X-Rendition-Substitute': {
    type: 'string',
    description: 'Present when a limit made the server answer another size than asked (and why).',
  },
} as const;

export const serviceSchemas = {
  healthz: operation({
    tag: 'Service',
    operationId: 'getHealth',
    summary: 'Liveness: 200 while the process is up',
    auth: 'none',
    responses: {
      200: { description: 'Up.', schema: Type.Object({ status: StringEnum(['ok'] as const) }) },
    },
  }),

  readyz: operation({
    tag: 'Service',
    operationId: 'getReadiness',
    summary: 'Readiness: whether the store, blobs and queue answer',
    auth: 'none',
    responses: {
      200: {
        description: 'Every backend answers.',
        schema: Type.Object({ status: StringEnum(['ready'] as const), checks: Checks, notes: Notes }),
      },
      503: {
        description: 'At least one backend fails; `checks` names it.',
        schema: Type.Object({ status: StringEnum(['not_ready'] as const), checks: Checks, notes: Notes }),
      },
    },
  }),

  src: operation({
    tag: 'Delivery',
    operationId: 'getImage',
    summary: 'An image or a rendition of it (`src` URL)',
    description: [
      'The `src` (and `sizes`) of a media object, as handed out by the API; `HEAD` answers the same headers. The extension picks the output format (`jpg`, `jpeg`, `png`, `webp`, `avif`, `gif`); the original’s extension without parameters serves the stored image (animation kept). Unknown or invalid parameter values are ignored, so an `<img>` always loads. EXIF/GPS metadata is stripped and colours are converted to sRGB in every answer.',
      '',
      'Renditions are computed once and cached. Uncached renditions are limited per client IP (429 with `Retry-After`); an operator may require signed transform parameters (`s`).',
    ].join('\n'),
    auth: 'none',
    envelope: 'hosting',
    // Documented only: `src` ignores invalid values rather than refusing them, so nothing here is validated.
    documentedRequest: {
      params: Type.Object({
        token: Type.String({ description: 'The image’s secret token (part of its `src`).' }),
        file: Type.String({ description: '`{id}.{ext}`, e.g. `aB3dE5fG.webp`.' }),
      }),
      querystring: Type.Object({
        size: Type.Optional(
          StringEnum(['s', 'm', 'l', 'social'] as const, {
            description: 'Short side 320 / 640 / 1080 (never enlarged), or 1200×630 padded for social cards.',
          }),
        ),
        w: Type.Optional(Type.Integer({ minimum: 1, description: 'Width in pixels.' })),
        h: Type.Optional(Type.Integer({ minimum: 1, description: 'Height in pixels.' })),
        fit: Type.Optional(StringEnum(['scale-down', 'contain', 'cover', 'crop', 'pad'] as const)),
        q: Type.Optional(
          Type.Union([Type.Integer({ minimum: 1, maximum: 100 }), Type.Literal('auto')], {
            description:
              'Quality of lossy formats; `auto`: the smallest output whose similarity (SSIM) to the rendition stays ≥ 0.98.',
          }),
        ),
        format: Type.Optional(
          StringEnum(['jpeg', 'jpg', 'png', 'webp', 'avif', 'gif', 'auto'] as const, {
            description:
              'Overrides the extension. `auto` (also the `.auto` extension): AVIF, WebP or JPEG/PNG chosen from `Accept` (answers carry `Vary: Accept`).',
          }),
        ),
        dpr: Type.Optional(
          Type.Number({ minimum: 1, maximum: 4, description: 'Device pixel ratio: multiplies `w` and `h`.' }),
        ),
        gravity: Type.Optional(
          Type.String({
            description:
              'With `fit=cover` or `crop`: `centre`, an edge or corner (`north`, `southeast`, …), `entropy`, or `auto` (smart crop).',
          }),
        ),
        blur: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Gaussian blur sigma.' })),
        bg: Type.Optional(
          Type.String({ description: 'Pad colour for `fit=pad` and social cards, hex (`fff`, `ffcc00`).' }),
        ),
        s: Type.Optional(
          Type.String({ description: 'Signature of the transform parameters, when required.' }),
        ),
      }),
    },
    responses: {
      200: { description: 'The image.', schema: Image, contentTypes: IMAGE_TYPES, headers: CACHE_HEADERS },
      304: {
        description: 'Not modified (`If-None-Match` matched).',
        schema: Type.Null(),
        headers: CACHE_HEADERS,
      },
      404: { description: 'Unknown, deleted or expired image.', schema: Text, contentTypes: ['text/plain'] },
      422: {
        description:
          'The rendition would cost more than the server allows: ask for a smaller size or a still format.',
        schema: Text,
        contentTypes: ['text/plain'],
      },
      429: {
        description: 'Too many uncached renditions from this client IP.',
        schema: Text,
        contentTypes: ['text/plain'],
        headers: RETRY_AFTER_HEADER,
      },
    },
  }),

  viewer: operation({
    tag: 'Delivery',
    operationId: 'viewMedia',
    summary: 'The viewer page of a public image',
    description:
      'An HTML page with Open Graph and Twitter card tags (`og:image` is the `size=social` rendition).',
    auth: 'none',
    envelope: 'hosting',
    documentedRequest: { params: Type.Object({ id: Type.String({ description: 'The media id.' }) }) },
    responses: {
      200: { description: 'The page.', schema: Html, contentTypes: ['text/html'] },
      404: { description: 'Private, unknown or expired image.', schema: Html, contentTypes: ['text/html'] },
    },
  }),
};
