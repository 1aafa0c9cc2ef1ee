import { Type } from '@sinclair/typebox';
import { IMAGE_FORMATS } from '../../imaging/index.ts';
import { operation } from '../openapi/operation.ts';
import { component, IdParam, Nullable, ref, StringEnum, TextEnum, UnixSeconds } from './common.ts';

/** Hosting family (`/v1`, img.pro-compatible; docs/api.md §2): request and response schemas of every route. */

const EXAMPLE_SRC = 'https://images.example.com/src/k3J9xQ2mV7pLw4Rt/aB3dE5fG';
const MEDIA_EXAMPLE = {
  id: 'aB3dE5fG',
  name: 'sunset.jpg',
  url: 'https://images.example.com/i/aB3dE5fG',
  src: `${EXAMPLE_SRC}.jpg`,
  width: 4032,
  height: 3024,
  filesize: 2481024,
  format: 'jpeg',
  namespace: 'blog',
  tags: ['travel', 'sunset'],
  public: true,
  date: '2026-01-14',
  metadata: { description: 'Sunset over the bay' },
  sizes: { s: `${EXAMPLE_SRC}.jpg?size=s`, m: `${EXAMPLE_SRC}.jpg?size=m`, l: `${EXAMPLE_SRC}.jpg?size=l` },
  srcset: [320, 640, 960, 1280, 1920, 2560]
    .map((w) => `${EXAMPLE_SRC}.jpg?w=${w} ${w}w`)
    .concat(`${EXAMPLE_SRC}.jpg 4032w`)
    .join(', '),
  srcset_auto: [320, 640, 960, 1280, 1920, 2560]
    .map((w) => `${EXAMPLE_SRC}.auto?w=${w} ${w}w`)
    .concat(`${EXAMPLE_SRC}.auto 4032w`)
    .join(', '),
  expires_at: null,
  created_at: 1768469400,
  updated_at: 1768469400,
};

const TAG_MODE_LIST = StringEnum(['any', 'all'] as const, {
  description: '`any` (default): media with at least one of `tags`; `all`: media with every one.',
});

const Url = (description: string) => Type.String({ format: 'uri', description });

const mediaProperties = {
  id: Type.String({ pattern: '^[0-9A-Za-z]{8}$', description: '8 base62 characters.' }),
  name: Type.String(),
  url: Url('The viewer page, `<public URL>/i/{id}`.'),
  src: Url(
    'The image, `<src base>/{token}/{id}.{ext}`: the token is a per-image secret, so a private `src` cannot be guessed. Add rendition parameters (`size`, `w`, `h`, `fit`, `q`, `format`, `dpr`, `gravity`, `blur`, `bg`; `.auto` or `format=auto` picks the format from `Accept`).',
  ),
  width: Type.Integer({ minimum: 1 }),
  height: Type.Integer({ minimum: 1 }),
  filesize: Type.Integer({ minimum: 0, description: 'Bytes of the stored original.' }),
  format: TextEnum(IMAGE_FORMATS, 'The stored format, read from the bytes.'),
  namespace: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  public: Type.Boolean(),
  date: Nullable(Type.String({ description: 'Editorial date (ISO date or instant).' })),
  metadata: Type.Record(Type.String(), Type.String()),
  sizes: Type.Object(
    { s: Url('Short side 320.'), m: Url('Short side 640.'), l: Url('Short side 1080.') },
    { description: 'The `src` with the size presets.' },
  ),
  srcset: Type.String({
    description:
      'Lightbox extension: an `<img srcset>` value in the stored format — `src?w=<width> <width>w` for the common ' +
      'widths (320, 640, 960, 1280, 1920, 2560) below the image’s own width, then the image at its width.',
  }),
  srcset_auto: Type.String({
    description:
      'Lightbox extension: the same with `format=auto` (AVIF, WebP or JPEG/PNG chosen from `Accept`).',
  }),
  expires_at: Nullable(UnixSeconds({ description: 'When the media is deleted (ttl or retention).' })),
  created_at: UnixSeconds(),
  updated_at: UnixSeconds(),
};

const Media = component(
  'Media',
  Type.Object(mediaProperties, {
    description: 'A stored image (docs/api.md §2.5).',
    examples: [MEDIA_EXAMPLE],
  }),
);

const UploadedMedia = component(
  'UploadedMedia',
  Type.Object(
    {
      ...mediaProperties,
      upgrade: Type.Optional(
        Type.Object(
          {
            type: StringEnum(['register'] as const),
            url: Url('The quick start for `POST /v1/keys`.'),
            message: Type.String(),
            label: Type.String(),
          },
          { description: 'Anonymous uploads only: how to get a key and keep the image.' },
        ),
      ),
    },
    {
      description: 'The media object; anonymous uploads add `upgrade` (and always have `expires_at`).',
      examples: [MEDIA_EXAMPLE],
    },
  ),
);

const Cursor = Nullable(
  Type.String({ description: 'Pass back as `cursor` for the next page; `null` on the last page.' }),
);
const MediaPage = component(
  'MediaPage',
  Type.Object(
    {
      data: Type.Array(ref(Media)),
      pagination: Type.Object({ next_cursor: Cursor, has_more: Type.Boolean() }),
      next_cursor: Cursor,
      has_more: Type.Boolean({ description: 'The same as `pagination.has_more` (earlier img.pro clients).' }),
    },
    { description: 'A page of media, newest first.' },
  ),
);

const Deleted = Type.Object({ id: Type.String(), deleted: Type.Literal(true) });
const ItemError = Type.Object(
  {
    id: Type.String(),
    error: Type.String({ description: 'A hosting error code (`not_found`, `validation_error`, …).' }),
    message: Type.String(),
  },
  { description: 'One id that failed; the others are unaffected.' },
);
const MediaBatchUpdate = component(
  'MediaBatchUpdate',
  Type.Object({ data: Type.Array(ref(Media)), errors: Type.Array(ItemError) }),
);
const MediaBatchDelete = component(
  'MediaBatchDelete',
  Type.Object({ data: Type.Array(Deleted), errors: Type.Array(ItemError) }),
);

const KeyCreated = component(
  'KeyCreated',
  Type.Object(
    {
      key: Type.String({ description: 'The API key, shown only this once.' }),
      key_id: Type.String({ pattern: '^key_[0-9a-z]+$' }),
      status: StringEnum(['active', 'pending_approval'] as const, {
        description: '`pending_approval`: the key works once the account owner approves it from the mail.',
      }),
      verified: Type.Boolean({ description: 'Whether the account’s email is verified.' }),
      limits: Type.Object({
        uploads: Type.Integer({ description: 'Uploads per month.' }),
        storage_mb: Type.Integer(),
        retention_days: Nullable(
          Type.Integer({
            description: 'Days uploads are kept until the email is verified; `null` once verified.',
          }),
        ),
      }),
      message: Type.String(),
    },
    {
      examples: [
        {
          key: 'img_live_3xK9mQ2vL7pR4tW8nB5cD1fG6hJ0kS4a1b2c3',
          key_id: 'key_m1x8q2z',
          status: 'active',
          verified: false,
          limits: { uploads: 100, storage_mb: 5120, retention_days: 30 },
          message:
            'Key created. Store it now: it is shown only once. Check your email to verify your account and keep uploads permanently.',
        },
      ],
    },
  ),
);

const Usage = component(
  'Usage',
  Type.Object({
    plan: Type.String(),
    verified: Type.Boolean(),
    uploads: Type.Object({
      used: Type.Integer({ minimum: 0 }),
      limit: Type.Integer({ minimum: 0 }),
      resets_at: UnixSeconds({ description: 'Start of the next calendar month (UTC).' }),
    }),
    storage: Type.Object({
      used_bytes: Type.Integer({ minimum: 0 }),
      limit_bytes: Type.Integer({ minimum: 0 }),
    }),
    keys: Type.Object({
      active: Type.Integer({ minimum: 0 }),
      limit: Nullable(
        Type.Integer({ description: 'Active keys allowed while unverified; `null` once verified.' }),
      ),
    }),
    credits: Type.Object({
      paid_available: Type.Integer(),
      paid_reserved: Type.Integer(),
      promotional: Type.Integer(),
    }),
  }),
);

const MediaFields = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  tags: Type.Optional(
    Type.Union([Type.String(), Type.Array(Type.String({ maxLength: 50 }), { maxItems: 10 })], {
      description: 'Comma-separated or an array; at most 10 of ≤ 50 characters, lowercased and deduplicated.',
    }),
  ),
  namespace: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{2,64}$' })),
  public: Type.Optional(
    Type.Union([Type.Boolean(), StringEnum(['true', 'false', '1', '0'] as const)], { default: true }),
  ),
  ttl: Type.Optional(
    Type.Union(
      [Type.Integer({ minimum: 300, maximum: 7_776_000 }), Type.String({ pattern: '^\\d{1,9}[mhd]?$' })],
      {
        description: 'Seconds (≥ 300) or `<n>m`, `<n>h`, `<n>d`: 5 minutes to 90 days.',
      },
    ),
  ),
  date: Type.Optional(
    Type.String({ description: 'ISO date (`YYYY-MM-DD`) or instant: the editorial date.' }),
  ),
  description: Type.Optional(Type.String({ maxLength: 500, description: 'Kept as `metadata.description`.' })),
};
const Metadata = Type.Record(Type.String({ pattern: '^[a-z0-9_]{1,40}$' }), Type.String({ maxLength: 500 }), {
  description: 'At most 20 string fields, names `^[a-z0-9_]{1,40}$`, values ≤ 500 characters.',
});

const UploadForm = Type.Object(
  {
    file: Type.String({
      format: 'binary',
      contentMediaType: 'application/octet-stream',
      description:
        'The image: JPEG, PNG, GIF, WebP, AVIF, HEIC/HEIF, SVG, BMP or ICO, decided from the bytes. 70 MB with a key (SVG 10 MB), 20 MB anonymous.',
    }),
    name: Type.Optional(Type.String({ maxLength: 255, description: 'Default: the file name.' })),
    tags: Type.Optional(Type.String({ description: 'Comma-separated, at most 10.' })),
    namespace: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{2,64}$' })),
    public: Type.Optional(StringEnum(['true', 'false'] as const, { default: 'true' })),
    ttl: Type.Optional(
      Type.String({ pattern: '^\\d{1,9}[mhd]?$', description: 'Seconds (≥ 300) or `<n>m|h|d`.' }),
    ),
    date: Type.Optional(Type.String()),
    description: Type.Optional(Type.String({ maxLength: 500 })),
  },
  {
    description:
      'Any other text field is kept as string metadata (at most 20 fields, names `^[a-z0-9_]{1,40}$`, values ≤ 500 characters).',
  },
);

const ImportBody = Type.Object(
  {
    url: Type.String({ format: 'uri', maxLength: 2048, description: 'A public http(s) URL of the image.' }),
    ...MediaFields,
    metadata: Type.Optional(Metadata),
  },
  { examples: [{ url: 'https://example.org/photos/sunset.jpg', tags: 'travel,sunset', namespace: 'blog' }] },
);

const MediaPatch = Type.Object(
  {
    ...MediaFields,
    namespace: Type.Optional(
      Nullable(Type.String({ pattern: '^[a-z0-9-]{2,64}$' }), { description: '`null` clears it.' }),
    ),
    tag_mode: Type.Optional(
      StringEnum(['replace', 'add', 'remove'] as const, {
        default: 'replace',
        description: 'How `tags` applies to the current tags.',
      }),
    ),
    date: Type.Optional(Nullable(Type.String())),
    ttl: Type.Optional(
      Type.Union([Type.Integer({ minimum: 300, maximum: 7_776_000 }), Type.String(), Type.Null()], {
        description: 'As at upload; `null` makes the media permanent where the account allows it.',
      }),
    ),
    description: Type.Optional(
      Nullable(Type.String({ maxLength: 500 }), { description: '`null` removes it.' }),
    ),
    metadata: Type.Optional(Nullable(Metadata, { description: 'Replaces the whole set.' })),
  },
  { examples: [{ tags: ['featured'], tag_mode: 'add', public: false }] },
);

const KeyRequest = Type.Object(
  {
    email: Type.String({ maxLength: 254, format: 'email' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: 'Default' })),
    environment: Type.Optional(
      Type.Union([Type.Literal('live'), Type.Literal('test')], {
        default: 'live',
        description: '`test` keys work in the sandbox environment (a Lightbox addition).',
      }),
    ),
  },
  { examples: [{ email: 'you@example.com' }] },
);
// `format: email` above is for the document; the route's own check (a stricter pattern) answers `errors.email`.
const { format: _emailFormat, ...emailForValidation } = KeyRequest.properties.email;
const KeyRequestValidated = Type.Object({ ...KeyRequest.properties, email: Type.String(emailForValidation) });

const MediaId = IdParam(64, 'The media id.');
const IdsQuery = Type.Object({
  ids: Type.Optional(
    Type.String({ maxLength: 4096, description: 'Comma-separated media ids, at most 100.' }),
  ),
});
const MediaListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  namespace: Type.Optional(Type.String({ maxLength: 64 })),
  tags: Type.Optional(Type.String({ maxLength: 1000, description: 'Comma-separated tags.' })),
  tag_mode: Type.Optional(TAG_MODE_LIST),
  ids: Type.Optional(Type.String({ maxLength: 4096, description: 'Comma-separated ids, at most 100.' })),
});

const INGEST_ERRORS = ['quota_exceeded', 'rate_limited'] as const;
const ANONYMOUS_RATE =
  'Without a key: 20 uploads per hour and 100 per day per client IP (`X-RateLimit-*` on every answer, 429 `rate_limited` with a `redirect` action and `retry_after`). With a key: the plan’s monthly uploads and storage (403 `quota_exceeded` with `usage` and an action).';

export const hostingSchemas = {
  createKey: operation({
    tag: 'Hosting',
    operationId: 'createApiKey',
    summary: 'Create an account (if new) and an API key by email',
    description:
      'No auth. An unknown email gets an unverified account, an active live key and a verification mail. An unverified account gets up to 3 active keys (then 403 `key_limit_reached`, `verify` action). A verified account follows its registration policy: `open` → active key, `approval` → `status: pending_approval` until the owner approves it from the mail, `closed` → 403 `registration_closed` (`redirect` action). Limits: 5 per email and 20 per client IP per hour.',
    auth: 'none',
    rateLimited: true,
    request: { body: KeyRequestValidated },
    documentedRequest: { body: { 'application/json': KeyRequest } },
    responses: { 201: { description: 'The key (shown only once).', schema: ref(KeyCreated) } },
    errors: ['key_limit_reached', 'registration_closed', 'rate_limited'],
  }),

  upload: operation({
    tag: 'Hosting',
    operationId: 'uploadMedia',
    summary: 'Upload an image (multipart)',
    description: `A key is optional. The type is read from the bytes; the upload is streamed and cut off as soon as it crosses the size limit. ${ANONYMOUS_RATE}`,
    auth: 'optionalApiKey',
    rateLimited: true,
    documentedRequest: { body: { 'multipart/form-data': UploadForm } },
    responses: { 201: { description: 'The stored media.', schema: ref(UploadedMedia) } },
    errors: [...INGEST_ERRORS, 'upload_failed'],
  }),

  import: operation({
    tag: 'Hosting',
    operationId: 'importMedia',
    summary: 'Import an image from a URL',
    description: `A key is optional. The URL is fetched by the safe fetcher (public addresses only, 30 s, 3 redirects): unreachable or non-2xx → 502 \`fetch_failed\`, time limit → 504 \`fetch_failed\`, not a usable image → 500 \`import_failed\`. Same fields, limits and answer as an upload. ${ANONYMOUS_RATE}`,
    auth: 'optionalApiKey',
    rateLimited: true,
    // Validated as a JSON object here; its fields are checked by the media domain, every error at once.
    request: { body: Type.Record(Type.String(), Type.Unknown()) },
    documentedRequest: { body: { 'application/json': ImportBody } },
    responses: { 201: { description: 'The stored media.', schema: ref(UploadedMedia) } },
    errors: [...INGEST_ERRORS, 'fetch_failed', { code: 'fetch_failed', status: 504 }, 'import_failed'],
  }),

  list: operation({
    tag: 'Hosting',
    operationId: 'listMedia',
    summary: 'List media, newest first',
    description:
      'Keyset pagination: pass `pagination.next_cursor` back as `cursor` until `has_more` is false.',
    auth: 'apiKey',
    request: { querystring: MediaListQuery },
    responses: { 200: { description: 'A page of media.', schema: ref(MediaPage) } },
  }),

  get: operation({
    tag: 'Hosting',
    operationId: 'getMedia',
    summary: 'Get one media object',
    description:
      'A key is optional: public media for anyone, private media only for its owner (same environment); otherwise 404 `not_found`.',
    auth: 'optionalApiKey',
    request: { params: MediaId },
    responses: { 200: { description: 'The media object.', schema: ref(Media) } },
    errors: ['not_found'],
  }),

  update: operation({
    tag: 'Hosting',
    operationId: 'updateMedia',
    summary: 'Change one media object',
    auth: 'apiKey',
    request: { params: MediaId, body: Type.Unknown() },
    documentedRequest: { body: { 'application/json': MediaPatch } },
    responses: { 200: { description: 'The updated media object.', schema: ref(Media) } },
    errors: ['not_found', 'update_failed'],
  }),

  remove: operation({
    tag: 'Hosting',
    operationId: 'deleteMedia',
    summary: 'Delete one media object (original and every rendition)',
    auth: 'apiKey',
    request: { params: MediaId },
    responses: { 200: { description: 'Deleted.', schema: Deleted } },
    errors: ['not_found', 'delete_failed'],
  }),

  updateMany: operation({
    tag: 'Hosting',
    operationId: 'updateMediaBatch',
    summary: 'Change several media objects (`?ids=a,b`, at most 100)',
    description:
      'The body is checked once; then each id on its own — one failing item never stops the others.',
    auth: 'apiKey',
    request: { querystring: IdsQuery, body: Type.Unknown() },
    documentedRequest: { body: { 'application/json': MediaPatch } },
    responses: { 200: { description: 'Updated media and per-id errors.', schema: ref(MediaBatchUpdate) } },
  }),

  removeMany: operation({
    tag: 'Hosting',
    operationId: 'deleteMediaBatch',
    summary: 'Delete several media objects (`?ids=a,b`, at most 100)',
    auth: 'apiKey',
    request: { querystring: IdsQuery },
    responses: { 200: { description: 'Deleted ids and per-id errors.', schema: ref(MediaBatchDelete) } },
  }),

  usage: operation({
    tag: 'Hosting',
    operationId: 'getUsage',
    summary: 'Plan, quotas and credits of the calling account',
    auth: 'apiKey',
    responses: { 200: { description: 'Usage of the key’s account.', schema: ref(Usage) } },
  }),
};

export const hostingComponents = [
  Media,
  UploadedMedia,
  MediaPage,
  MediaBatchUpdate,
  MediaBatchDelete,
  KeyCreated,
  Usage,
];
