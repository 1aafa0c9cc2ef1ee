import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ownerKeys } from '../accounts/owner-keys.ts';
import type { Services } from '../app/compose.ts';
import { AppError } from '../errors/app-error.ts';
import type { Csrf } from '../sessions/secrets.ts';
import { type OwnerSession, resolveSession } from '../sessions/sessions.ts';
import { type AnyApiRoute, route, type UploadReceiver } from './dashboard-route.ts';
import { ENHANCEMENTS_API } from './enhancements-api.ts';
import { MEDIA_API } from './media-api.ts';
import { refuseCrossSite, type SessionCookie } from './session-cookie.ts';
import { USAGE_API } from './usage-api.ts';

/** Every dashboard JSON endpoint lives under this prefix (nested error envelope: errors/render.ts). */
export const DASHBOARD_API_PREFIX = '/dashboard/api';
/** The header `fetch()` sends the session's CSRF token in (forms use a `csrf` field). */
const CSRF_HEADER = 'x-csrf-token';
const MB = 1024 * 1024;

const KeyId = Type.Object({ id: Type.String({ maxLength: 64 }) });
const KeyAction = Type.Object({
  id: Type.String({ maxLength: 64 }),
  action: Type.Union(
    (['deactivate', 'reactivate', 'revoke', 'approve'] as const).map((a) => Type.Literal(a)),
  ),
});
const Policy = Type.Union([Type.Literal('open'), Type.Literal('approval'), Type.Literal('closed')]);

/** The registry of dashboard endpoints: the account and its keys here, each other area's from its own module. */
export const DASHBOARD_API: readonly AnyApiRoute[] = [
  route({
    method: 'GET',
    path: '/account',
    handle: async ({ services, session }) => ({
      ...ownerKeys.view(session.account),
      limits: {
        max_active_keys: services.config.dashboardMaxActiveKeys,
        key_creates_per_hour: services.config.dashboardKeysPerHour,
        key_creates_per_day: services.config.dashboardKeysPerDay,
      },
    }),
  }),
  route({
    method: 'PATCH',
    path: '/account',
    body: Type.Object({ registration_policy: Policy }, { additionalProperties: false }),
    handle: ({ services, session, body }) =>
      ownerKeys.setRegistrationPolicy(services, session.account, body.registration_policy),
  }),
  route({
    method: 'GET',
    path: '/keys',
    handle: ({ services, session }) => ownerKeys.list(services, session.account),
  }),
  route({
    method: 'POST',
    path: '/keys',
    status: 201,
    body: Type.Object(
      {
        name: Type.Optional(Type.String({ maxLength: 64 })),
        environment: Type.Union([Type.Literal('live'), Type.Literal('test')]),
        expires_at: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
      },
      { additionalProperties: false },
    ),
    handle: ({ services, session, body }) => ownerKeys.create(services, session.account, body),
  }),
  route({
    method: 'POST',
    path: '/keys/:id/:action',
    params: KeyAction,
    handle: ({ services, session, params }) =>
      ownerKeys.act(services, session.account, params.id, params.action),
  }),
  route({
    method: 'DELETE',
    path: '/keys/:id',
    params: KeyId,
    handle: ({ services, session, params }) => ownerKeys.remove(services, session.account, params.id),
  }),
  ...MEDIA_API,
  ...ENHANCEMENTS_API,
  ...USAGE_API,
];

declare module 'fastify' {
  interface FastifyRequest {
    ownerSession?: OwnerSession;
  }
}

/** Registers `DASHBOARD_API` under its prefix, each route behind the session and (for writes) CSRF checks. */
export const dashboardApi =
  (
    services: Services,
    web: { cookies: SessionCookie; csrf: Csrf; receiveUpload: UploadReceiver },
  ): FastifyPluginAsync =>
  async (app) => {
    // Runs before the body is read: a forged or signed-out request costs no parsing and changes nothing.
    app.addHook('onRequest', async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const session = await resolveSession(services, web.cookies.read(request));
      if (!session) throw new AppError('sign_in_required');
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        refuseCrossSite(request, services.config.publicUrl);
        if (!web.csrf.check(session.id, request.headers[CSRF_HEADER]))
          throw new AppError('csrf_token_invalid');
      }
      request.ownerSession = session;
    });
    for (const r of DASHBOARD_API) {
      app.route({
        method: r.method,
        url: `${DASHBOARD_API_PREFIX}${r.path}`,
        schema: {
          hide: true,
          ...(r.body ? { body: r.body } : {}),
          ...(r.params ? { params: r.params } : {}),
          ...(r.query ? { querystring: r.query } : {}),
        },
        handler: async (request, reply) => {
          const session = request.ownerSession;
          if (!session) throw new AppError('sign_in_required');
          const call = {
            services,
            session,
            body: request.body,
            params: request.params,
            query: request.query,
            requestId: request.id,
            clientIp: request.ip,
          };
          if (!r.upload) return reply.status(r.status ?? 200).send(await r.handle(call));
          // Admitted before a byte of the body is read; the temp file is gone before the answer is sent.
          await r.upload.admit({ ...call, body: undefined });
          const upload = await web.receiveUpload(request, {
            tmpDir: services.tmpDir,
            maxBytes: services.config.maxUploadMb * MB,
          });
          try {
            const result = await r.handle({ ...call, upload });
            return reply.status(r.status ?? 200).send(result);
          } finally {
            await upload.discard();
          }
        },
      });
    }
  };
