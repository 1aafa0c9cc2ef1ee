import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { operator } from '../../accounts/operator-service.ts';
import type { Services } from '../../app/compose.ts';
import { toIso } from '../../lib/time.ts';
import { listDeliveries, redeliver } from '../../webhooks/webhook-admin.ts';
import { requireAdmin } from '../auth.ts';

const Id = Type.Object({ id: Type.String({ maxLength: 64 }) });
const KeyId = Type.Object({ key_id: Type.String({ maxLength: 64 }) });
const Policy = Type.Union([Type.Literal('open'), Type.Literal('approval'), Type.Literal('closed')]);
const Instant = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const tags = ['operator'];
const security = [{ bearer: [] }];

/** Operator API `/admin/v1` (docs/api.md §4); nested error envelope, ISO timestamps. */
export const adminRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', requireAdmin(services));
    const schema = <T extends object>(s: T) => ({ tags, security, ...s });

    app.post(
      '/admin/v1/accounts',
      {
        schema: schema({
          body: Type.Object(
            {
              email: Type.String({ format: 'email', maxLength: 254 }),
              plan: Type.Optional(Type.String()),
              email_verified: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
        }),
      },
      async (request, reply) => reply.status(201).send(await operator.createAccount(services, request.body)),
    );

    app.get(
      '/admin/v1/accounts',
      {
        schema: schema({
          querystring: Type.Object({
            email: Type.Optional(Type.String()),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          }),
        }),
      },
      async (request) => operator.listAccounts(services, request.query),
    );

    app.get('/admin/v1/accounts/:id', { schema: schema({ params: Id }) }, async (request) =>
      operator.getAccount(services, request.params.id),
    );

    app.patch(
      '/admin/v1/accounts/:id',
      {
        schema: schema({
          params: Id,
          body: Type.Object(
            {
              plan: Type.Optional(Type.String()),
              suspended: Type.Optional(Type.Boolean()),
              payment_risk: Type.Optional(Type.Boolean()),
              email_verified: Type.Optional(Type.Boolean()),
              registration_policy: Type.Optional(Policy),
            },
            { additionalProperties: false },
          ),
        }),
      },
      async (request) => operator.updateAccount(services, request.params.id, request.body),
    );

    app.post(
      '/admin/v1/accounts/:id/credits',
      {
        schema: schema({
          params: Id,
          body: Type.Object(
            {
              amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
              kind: Type.Union([Type.Literal('purchased'), Type.Literal('promotional')]),
              note: Type.Optional(Type.String({ maxLength: 500 })),
            },
            { additionalProperties: false },
          ),
        }),
      },
      async (request, reply) =>
        reply.status(201).send(await operator.grant(services, request.params.id, request.body)),
    );

    app.get(
      '/admin/v1/accounts/:id/ledger',
      {
        schema: schema({
          params: Id,
          querystring: Type.Object({
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
            before: Type.Optional(Type.String({ maxLength: 64 })),
          }),
        }),
      },
      async (request) => operator.ledger(services, request.params.id, request.query),
    );

    app.post(
      '/admin/v1/accounts/:id/keys',
      {
        schema: schema({
          params: Id,
          body: Type.Object(
            {
              name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              environment: Type.Union([Type.Literal('live'), Type.Literal('test')]),
              expires_at: Type.Optional(Instant),
            },
            { additionalProperties: false },
          ),
        }),
      },
      async (request, reply) =>
        reply.status(201).send(await operator.mintKey(services, request.params.id, request.body)),
    );

    app.get(
      '/admin/v1/keys',
      { schema: schema({ querystring: Type.Object({ account_id: Type.Optional(Type.String()) }) }) },
      async (request) => operator.listKeys(services, request.query),
    );

    app.patch(
      '/admin/v1/keys/:key_id',
      {
        schema: schema({
          params: KeyId,
          body: Type.Object(
            {
              status: Type.Optional(
                Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('revoked')]),
              ),
              expires_at: Type.Optional(Instant),
            },
            { additionalProperties: false },
          ),
        }),
      },
      async (request) => operator.updateKey(services, request.params.key_id, request.body),
    );

    app.delete('/admin/v1/keys/:key_id', { schema: schema({ params: KeyId }) }, async (request) =>
      operator.deleteKey(services, request.params.key_id),
    );

    app.get(
      '/admin/v1/webhook-deliveries',
      {
        schema: schema({
          querystring: Type.Object({
            enhancement_id: Type.Optional(Type.String({ maxLength: 64 })),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          }),
        }),
      },
      async (request) => listDeliveries(services.store, request.query),
    );

    app.post(
      '/admin/v1/webhook-deliveries/:id/redeliver',
      { schema: schema({ params: Id }) },
      async (request, reply) => reply.status(202).send(await redeliver(services, request.params.id)),
    );

    app.get(
      '/admin/v1/outbox',
      {
        schema: schema({
          querystring: Type.Object({
            to: Type.Optional(Type.String()),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          }),
        }),
      },
      async (request) => {
        const messages = await services.mailer.list(request.query);
        return {
          data: messages.map((m) => ({ ...m, created_at: toIso(m.created_at), sent_at: toIso(m.sent_at) })),
        };
      },
    );
  };
