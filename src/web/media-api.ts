import { Type } from '@sinclair/typebox';
import { ownerMedia } from '../media/owner-media.ts';
import { route } from './dashboard-route.ts';

/** The dashboard's media endpoints (docs/web.md): the owner's library, in the environment they pick. */

export const Environment = Type.Union([Type.Literal('live'), Type.Literal('test')]);
const MediaId = Type.Object({ id: Type.String({ maxLength: 64 }) });
const Ids = Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 100 });
/** What the media edit form sends; the media service validates the values as it does for `PATCH /v1/media`. */
const MediaChange = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 255 })),
    tags: Type.Optional(
      Type.Union([Type.String({ maxLength: 1000 }), Type.Array(Type.String({ maxLength: 50 }))]),
    ),
    tag_mode: Type.Optional(
      Type.Union([Type.Literal('replace'), Type.Literal('add'), Type.Literal('remove')]),
    ),
    namespace: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    public: Type.Optional(Type.Boolean()),
    ttl: Type.Optional(Type.Union([Type.Integer(), Type.String({ maxLength: 16 }), Type.Null()])),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  },
  { additionalProperties: false },
);
const MediaListQuery = Type.Object(
  {
    environment: Type.Optional(Environment),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 60 }),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    namespace: Type.Optional(Type.String({ maxLength: 64 })),
    tags: Type.Optional(Type.String({ maxLength: 1000 })),
    tag_mode: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('all')])),
    name: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

export const MEDIA_API = [
  route({
    method: 'GET',
    path: '/media',
    query: MediaListQuery,
    handle: ({ services, session, query }) => {
      const { environment = 'live', ...rest } = query;
      return ownerMedia.list(services, session.account, environment, rest);
    },
  }),
  route({
    method: 'GET',
    path: '/media/namespaces',
    query: Type.Object({ environment: Type.Optional(Environment) }, { additionalProperties: false }),
    handle: async ({ services, session, query }) => ({
      data: await ownerMedia.namespaces(services, session.account, query.environment ?? 'live'),
    }),
  }),
  route({
    method: 'POST',
    path: '/media',
    status: 201,
    query: Type.Object({ environment: Type.Optional(Environment) }, { additionalProperties: false }),
    upload: {
      admit: ({ services, session, query }) =>
        ownerMedia.admitUpload(services, session.account, query.environment ?? 'live'),
    },
    handle: ({ services, session, query, upload, clientIp }) =>
      ownerMedia.upload(services, session.account, {
        environment: query.environment ?? 'live',
        clientIp,
        file: upload?.file ?? null,
        fields: upload?.fields ?? {},
      }),
  }),
  route({
    method: 'GET',
    path: '/media/:id',
    params: MediaId,
    handle: ({ services, session, params }) => ownerMedia.get(services, session.account, params.id),
  }),
  route({
    method: 'GET',
    path: '/media/:id/rendition',
    params: MediaId,
    // Any rendition parameter of the delivery registry (imaging/rendition-operations.ts), as a `src` URL takes it.
    query: Type.Record(Type.String({ maxLength: 16 }), Type.String({ maxLength: 64 }), { maxProperties: 16 }),
    handle: ({ services, session, params, query }) =>
      ownerMedia.rendition(services, session.account, params.id, query),
  }),
  route({
    method: 'PATCH',
    path: '/media/:id',
    params: MediaId,
    body: MediaChange,
    handle: ({ services, session, params, body }) =>
      ownerMedia.update(services, session.account, params.id, body),
  }),
  route({
    method: 'DELETE',
    path: '/media/:id',
    params: MediaId,
    handle: ({ services, session, params }) => ownerMedia.remove(services, session.account, params.id),
  }),
  route({
    method: 'POST',
    path: '/media/bulk-delete',
    body: Type.Object({ environment: Environment, ids: Ids }, { additionalProperties: false }),
    handle: ({ services, session, body }) =>
      ownerMedia.removeMany(services, session.account, body.environment, body.ids),
  }),
  route({
    method: 'POST',
    path: '/media/bulk-update',
    body: Type.Object(
      { environment: Environment, ids: Ids, change: MediaChange },
      { additionalProperties: false },
    ),
    handle: ({ services, session, body }) =>
      ownerMedia.updateMany(services, session.account, body.environment, body.ids, body.change),
  }),
];
