import { Type } from '@sinclair/typebox';
import {
  PRESERVATION_LEVEL_IDS,
  PRESET_LIST,
  PreservationLevelSchema,
  PresetSchema,
} from '../../enhancements/presets.ts';
import { itemErrorCatalog } from '../../errors/catalog.ts';
import { ENHANCE_WARNING_CODES, ENHANCE_WARNINGS } from '../../imaging/enhance/index.ts';
import { markdownText } from '../openapi/error-responses.ts';
import { operation } from '../openapi/operation.ts';
import { component, IsoInstant, Nullable, ref, StringEnum, TextEnum } from './common.ts';

/** Enhancement family (`/api/v1`, AI Gen Studio-compatible; docs/api.md §3): request and response schemas. */

const BATCH_STATUSES = ['queued', 'processing', 'completed', 'partially_completed', 'failed'] as const;
const ITEM_STATUSES = ['queued', 'processing', 'completed', 'failed'] as const;
const ITEM_ERROR_CODES = Object.keys(itemErrorCatalog);
const ENHANCEMENT_ID = 'b3c1f0a2-5d7e-4f11-9a2b-6c8d0e4f1a37';
const REQUEST_ID = 'req_7hT2kP9xQ4mW1vN6bL3cZ8';

const itemErrorDescription = [
  'Why the item failed (never an HTTP error of the create call); its credits are released:',
  ...Object.entries(itemErrorCatalog).map(
    ([code, e]) => `- \`${code}\`: ${markdownText(e.message)} *${markdownText(e.handling)}*`,
  ),
].join('\n');

const warningDescription = Object.entries(ENHANCE_WARNINGS)
  .map(([code, message]) => `- \`${code}\`: ${message}`)
  .join('\n');

const EnhancementItem = component(
  'EnhancementItem',
  Type.Object({
    id: Type.String(),
    external_id: Nullable(Type.String({ description: 'As sent with the image.' })),
    source_url: Type.String(),
    status: StringEnum(ITEM_STATUSES),
    result_url: Nullable(
      Type.String({
        format: 'uri',
        description: 'A `src` URL of the result (every rendition parameter works).',
      }),
    ),
    thumbnail_url: Nullable(Type.String({ format: 'uri' })),
    error_code: Type.Unsafe<string | null>({
      type: ['string', 'null'],
      enum: [...ITEM_ERROR_CODES, null],
      description: itemErrorDescription,
    }),
    error_message: Nullable(Type.String()),
    credits_reserved: Type.Integer({ minimum: 0 }),
    credits_used: Type.Integer({ minimum: 0 }),
    warnings: Type.Array(
      Type.Object({
        code: TextEnum(ENHANCE_WARNING_CODES, warningDescription),
        message: Type.String({ description: 'About this image, numbers included.' }),
      }),
      {
        description:
          'Lightbox extension: what was done, or could not be done well, for a completed item; `[]` when nothing ' +
          '(failed and unfinished items have none). Clients that do not know a code can show the message.',
      },
    ),
  }),
);

const summaryProperties = {
  id: Type.String({ format: 'uuid' }),
  status: StringEnum(BATCH_STATUSES),
  preset: TextEnum(PRESET_LIST.map((p) => p.id)),
  preservation_level: TextEnum(PRESERVATION_LEVEL_IDS),
  total_items: Type.Integer({ minimum: 1 }),
  completed_items: Type.Integer({ minimum: 0 }),
  failed_items: Type.Integer({ minimum: 0 }),
  items_with_warnings: Type.Integer({
    minimum: 0,
    description: 'Lightbox extension: completed items that carry at least one warning.',
  }),
  credits_reserved: Type.Integer({ minimum: 0 }),
  credits_used: Type.Integer({ minimum: 0 }),
  sandbox: Type.Boolean({ description: 'Made with a test key: no credits.' }),
  created_at: IsoInstant(),
  completed_at: Nullable(IsoInstant()),
};

const EnhancementSummary = component(
  'EnhancementSummary',
  Type.Object(summaryProperties, { description: 'A batch without its items.' }),
);

const Enhancement = component(
  'Enhancement',
  Type.Object(
    { ...summaryProperties, items: Type.Array(ref(EnhancementItem)) },
    {
      examples: [
        {
          id: ENHANCEMENT_ID,
          status: 'partially_completed',
          preset: 'single_product_white_background',
          preservation_level: 'strict',
          total_items: 2,
          completed_items: 1,
          failed_items: 1,
          items_with_warnings: 0,
          credits_reserved: 10,
          credits_used: 5,
          sandbox: false,
          created_at: '2026-01-15T09:30:00.000Z',
          completed_at: '2026-01-15T09:30:41.000Z',
          items: [
            {
              id: 'itm_01jh8k2m4n',
              external_id: 'sku-1042',
              source_url: 'https://example.org/products/mug.jpg',
              status: 'completed',
              result_url: 'https://images.example.com/src/Qm7vT2xK9pLw4Rt8/cD4eF6gH.jpg',
              thumbnail_url: 'https://images.example.com/src/Zr3nB8yH5kQw1Lp6/iJ7kL9mN.jpg',
              error_code: null,
              error_message: null,
              credits_reserved: 5,
              credits_used: 5,
              warnings: [],
            },
            {
              id: 'itm_01jh8k2m4p',
              external_id: 'sku-1043',
              source_url: 'https://example.org/products/missing.jpg',
              status: 'failed',
              result_url: null,
              thumbnail_url: null,
              error_code: 'source_url_unreachable',
              error_message: 'The source URL answered 404.',
              credits_reserved: 5,
              credits_used: 0,
              warnings: [],
            },
          ],
        },
      ],
    },
  ),
);

const Preset = component(
  'Preset',
  Type.Object({
    id: TextEnum(PRESET_LIST.map((p) => p.id)),
    name: Type.String(),
    description: Type.String(),
  }),
);

const CreateBody = Type.Object(
  {
    images: Type.Array(
      Type.Object(
        {
          source_url: Type.String({
            minLength: 1,
            maxLength: 2048,
            description: 'Public http(s) URL of a JPEG, PNG or WebP ≤ 10 MB.',
          }),
          external_id: Type.Optional(
            Type.String({ maxLength: 255, description: 'Your id, echoed on the item.' }),
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 20 },
    ),
    preset: Type.Optional(PresetSchema),
    preservation_level: Type.Optional(PreservationLevelSchema),
    instructions: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    webhook_url: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: 'A public HTTPS URL for signed webhooks.' }),
    ),
  },
  {
    additionalProperties: false,
    examples: [
      {
        images: [{ source_url: 'https://example.org/products/mug.jpg', external_id: 'sku-1042' }],
        preset: 'single_product_white_background',
        webhook_url: 'https://example.org/hooks/lightbox',
      },
    ],
  },
);

const CreateReply = Type.Object(
  {
    enhancement: Type.Object({
      id: Type.String({ format: 'uuid' }),
      status: StringEnum(['queued'] as const),
      total_items: Type.Integer({ minimum: 1 }),
      credits_reserved: Type.Integer({ minimum: 0 }),
      sandbox: Type.Boolean(),
    }),
    remaining_paid_credits: Type.Integer({ minimum: 0 }),
    request_id: Type.String(),
  },
  {
    examples: [
      {
        enhancement: {
          id: ENHANCEMENT_ID,
          status: 'queued',
          total_items: 1,
          credits_reserved: 5,
          sandbox: false,
        },
        remaining_paid_credits: 195,
        request_id: REQUEST_ID,
      },
    ],
  },
);

const LOCATION = {
  Location: { type: 'string', description: 'The new batch: `/api/v1/product-image-enhancements/{id}`.' },
} as const;

export const enhancementSchemas = {
  presets: operation({
    tag: 'Enhancement',
    operationId: 'listEnhancementPresets',
    summary: 'List the enhancement presets',
    auth: 'none',
    responses: {
      200: {
        description: 'Every preset, in the registry’s order.',
        schema: Type.Object({ presets: Type.Array(ref(Preset)), request_id: Type.String() }),
      },
    },
  }),

  create: operation({
    tag: 'Enhancement',
    operationId: 'createEnhancement',
    summary: 'Create a batch of product image enhancements',
    description: [
      'Checks run in this order, the first failure answering: the key and the account; the per-key create rate (60 per minute, before the body is read); the payload (400 `invalid_payload`, `invalid_webhook_url`, 422 `content_policy_violation`); the `Idempotency-Key`; live keys only: 200 credits bought over the account’s lifetime (403 `api_access_not_enabled`) and 5 paid credits per image (402 `insufficient_api_credits`); one active batch per key and two per account (429 `too_many_active_enhancements`); queueing (503 `queue_unavailable`, the reservation released).',
      '',
      'Idempotency: the same key with the same body within 24 hours answers the first call’s body with 200 and `Idempotent-Replayed: true`; with a different body, 409 `idempotency_conflict`. Test keys run in the sandbox: no credits; a `source_url` ending in `#simulate=<item error code>` fails that item with that code.',
    ].join('\n'),
    auth: 'apiKey',
    rateLimited: true,
    request: { body: CreateBody },
    documentedRequest: {
      headers: Type.Object({
        'Idempotency-Key': Type.String({
          minLength: 8,
          maxLength: 160,
          pattern: '^[A-Za-z0-9._:-]{8,160}$',
          description:
            'Required. Reuse it (with the same body) to retry safely; scoped to the account and environment.',
          examples: ['order-1042-retry-safe'],
        }),
      }),
    },
    responses: {
      201: { description: 'The batch is queued.', schema: CreateReply, headers: LOCATION },
      200: {
        description:
          'A replay: the same `Idempotency-Key` and body as an earlier call; its stored answer, unchanged.',
        schema: CreateReply,
        headers: {
          ...LOCATION,
          'Idempotent-Replayed': { type: 'string', enum: ['true'], description: 'This answer is a replay.' },
        },
      },
    },
    errors: [
      'rate_limit_exceeded',
      'rate_limit_unavailable',
      'invalid_webhook_url',
      'content_policy_violation',
      'invalid_idempotency_key',
      'idempotency_conflict',
      'api_access_not_enabled',
      'insufficient_api_credits',
      'too_many_active_enhancements',
      'queue_unavailable',
    ],
  }),

  get: operation({
    tag: 'Enhancement',
    operationId: 'getEnhancement',
    summary: 'Get a batch with its items',
    description: 'Spends the per-key read rate (600 per minute).',
    auth: 'apiKey',
    rateLimited: true,
    request: {
      params: Type.Object({ id: Type.String({ maxLength: 200, description: 'The batch id (a UUID).' }) }),
    },
    responses: {
      200: {
        description: 'The batch.',
        schema: Type.Object({ enhancement: ref(Enhancement), request_id: Type.String() }),
      },
    },
    errors: [
      'rate_limit_exceeded',
      'rate_limit_unavailable',
      'invalid_enhancement_id',
      'enhancement_not_found',
      'api_key_environment_mismatch',
    ],
  }),

  list: operation({
    tag: 'Enhancement',
    operationId: 'listEnhancements',
    summary: 'List batches, newest first (summaries without items)',
    description:
      'Pass `next_cursor` back as `cursor` until it is `null`. Spends the per-key read rate (600 per minute).',
    auth: 'apiKey',
    rateLimited: true,
    request: {
      querystring: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
        cursor: Type.Optional(Type.String({ maxLength: 200 })),
        status: Type.Optional(Type.Union(BATCH_STATUSES.map((s) => Type.Literal(s)))),
      }),
    },
    responses: {
      200: {
        description: 'A page of batches.',
        schema: Type.Object({
          enhancements: Type.Array(ref(EnhancementSummary)),
          next_cursor: Nullable(Type.String()),
          request_id: Type.String(),
        }),
      },
    },
    errors: ['rate_limit_exceeded', 'rate_limit_unavailable'],
  }),
};

export const enhancementComponents = [EnhancementItem, EnhancementSummary, Enhancement, Preset];
