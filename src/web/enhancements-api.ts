import { Type } from '@sinclair/typebox';
import { MAX_BATCH_IMAGES, ownerEnhancements } from '../enhancements/owner-enhancements.ts';
import { PreservationLevelSchema, PresetSchema } from '../enhancements/presets.ts';
import { ownerDeliveries } from '../webhooks/owner-deliveries.ts';
import { route } from './dashboard-route.ts';
import { Environment } from './media-api.ts';

/** The dashboard's enhancement endpoints (docs/web.md): batches, their items, webhook deliveries. */

const EnhancementId = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Status = Type.Union(
  (['queued', 'processing', 'completed', 'partially_completed', 'failed'] as const).map((s) =>
    Type.Literal(s),
  ),
);
const CreateBody = Type.Object(
  {
    key_id: Type.String({ maxLength: 64 }),
    urls: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: MAX_BATCH_IMAGES }),
    ),
    media_ids: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: MAX_BATCH_IMAGES })),
    preset: Type.Optional(PresetSchema),
    preservation_level: Type.Optional(PreservationLevelSchema),
    instructions: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    webhook_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    idempotency_key: Type.String({ maxLength: 160 }),
  },
  { additionalProperties: false },
);

export const ENHANCEMENTS_API = [
  route({
    method: 'GET',
    path: '/enhancements',
    query: Type.Object(
      {
        environment: Type.Optional(Environment),
        limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
        cursor: Type.Optional(Type.String({ maxLength: 200 })),
        status: Type.Optional(Status),
      },
      { additionalProperties: false },
    ),
    handle: ({ services, session, query }) => {
      const { environment = 'live', ...rest } = query;
      return ownerEnhancements.list(services, session.account, { environment, ...rest });
    },
  }),
  route({
    method: 'GET',
    path: '/enhancements/keys',
    handle: async ({ services, session }) => ({
      data: await ownerEnhancements.keys(services, session.account),
    }),
  }),
  route({
    method: 'POST',
    path: '/enhancements',
    status: 201,
    body: CreateBody,
    handle: ({ services, session, body, requestId }) =>
      ownerEnhancements.create(services, session.account, body, requestId),
  }),
  route({
    method: 'GET',
    path: '/enhancements/:id',
    params: EnhancementId,
    handle: ({ services, session, params }) => ownerEnhancements.get(services, session.account, params.id),
  }),
  route({
    method: 'GET',
    path: '/enhancements/:id/deliveries',
    params: EnhancementId,
    handle: ({ services, session, params }) => ownerDeliveries.list(services, session.account, params.id),
  }),
  route({
    method: 'POST',
    path: '/webhook-events/:id/redeliver',
    params: EnhancementId,
    handle: ({ services, session, params }) =>
      ownerDeliveries.redeliver(services, session.account, params.id),
  }),
];
