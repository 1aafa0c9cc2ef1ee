import { type Static, type TSchema, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ownerKeys } from '../accounts/owner-keys.ts';
import type { Services } from '../app/compose.ts';
import { AppError } from '../errors/app-error.ts';
import type { Csrf } from '../sessions/secrets.ts';
import { type OwnerSession, resolveSession } from '../sessions/sessions.ts';
import { refuseCrossSite, type SessionCookie } from './session-cookie.ts';

/** Every dashboard JSON endpoint lives under this prefix (nested error envelope: errors/render.ts). */
export const DASHBOARD_API_PREFIX = '/dashboard/api';
/** The header `fetch()` sends the session's CSRF token in (forms use a `csrf` field). */
const CSRF_HEADER = 'x-csrf-token';

interface ApiCall<Body, Params> {
  services: Services;
  session: OwnerSession;
  body: Body;
  params: Params;
}

/**
 * One dashboard endpoint: session auth always; for anything but GET, the CSRF header and a same-site request,
 * checked before the body is read. `handle` makes one service call with the signed-in account.
 */
interface ApiRoute<B extends TSchema, P extends TSchema> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: B;
  params?: P;
  status?: number;
  handle(call: ApiCall<Static<B>, Static<P>>): Promise<unknown>;
}

/** A route with its schemas' types erased, so routes of different shapes share one list. */
export type AnyApiRoute = Omit<ApiRoute<TSchema, TSchema>, 'handle'> & {
  handle(call: ApiCall<unknown, unknown>): Promise<unknown>;
};

const route = <B extends TSchema, P extends TSchema>(r: ApiRoute<B, P>): AnyApiRoute => ({
  ...r,
  // The body and params were validated against `r.body` / `r.params` before the handler runs.
  handle: (call) => r.handle(call as ApiCall<Static<B>, Static<P>>),
});

const KeyId = Type.Object({ id: Type.String({ maxLength: 64 }) });
const KeyAction = Type.Object({
  id: Type.String({ maxLength: 64 }),
  action: Type.Union(
    (['deactivate', 'reactivate', 'revoke', 'approve'] as const).map((a) => Type.Literal(a)),
  ),
});
const Policy = Type.Union([Type.Literal('open'), Type.Literal('approval'), Type.Literal('closed')]);

/** The registry of dashboard endpoints: later dashboard pages add theirs here. */
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
];

declare module 'fastify' {
  interface FastifyRequest {
    ownerSession?: OwnerSession;
  }
}

/** Registers `DASHBOARD_API` under its prefix, each route behind the session and (for writes) CSRF checks. */
export const dashboardApi =
  (services: Services, web: { cookies: SessionCookie; csrf: Csrf }): FastifyPluginAsync =>
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
        },
        handler: async (request, reply) => {
          const session = request.ownerSession;
          if (!session) throw new AppError('sign_in_required');
          const result = await r.handle({
            services,
            session,
            body: request.body,
            params: request.params,
          });
          return reply.status(r.status ?? 200).send(result);
        },
      });
    }
  };
