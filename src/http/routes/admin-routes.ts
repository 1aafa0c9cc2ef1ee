import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { operator } from '../../accounts/operator-service.ts';
import type { Services } from '../../app/compose.ts';
import { toIso } from '../../lib/time.ts';
import { listDeliveries, redeliver } from '../../webhooks/webhook-admin.ts';
import { requireAdmin } from '../auth.ts';
import { adminSchemas as schemas } from '../schemas/admin.ts';

/** Operator API `/admin/v1` (docs/api.md §4); nested error envelope, ISO timestamps. */
export const adminRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addHook('onRequest', requireAdmin(services));

    app.post('/admin/v1/accounts', { schema: schemas.createAccount }, async (request, reply) =>
      reply.status(201).send(await operator.createAccount(services, request.body)),
    );

    app.get('/admin/v1/accounts', { schema: schemas.listAccounts }, async (request) =>
      operator.listAccounts(services, request.query),
    );

    app.get('/admin/v1/accounts/:id', { schema: schemas.getAccount }, async (request) =>
      operator.getAccount(services, request.params.id),
    );

    app.patch('/admin/v1/accounts/:id', { schema: schemas.updateAccount }, async (request) =>
      operator.updateAccount(services, request.params.id, request.body),
    );

    app.post('/admin/v1/accounts/:id/credits', { schema: schemas.grantCredits }, async (request, reply) =>
      reply.status(201).send(await operator.grant(services, request.params.id, request.body)),
    );

    app.get('/admin/v1/accounts/:id/ledger', { schema: schemas.listLedger }, async (request) =>
      operator.ledger(services, request.params.id, request.query),
    );

    app.post('/admin/v1/accounts/:id/keys', { schema: schemas.createKey }, async (request, reply) =>
      reply.status(201).send(await operator.mintKey(services, request.params.id, request.body)),
    );

    app.get('/admin/v1/keys', { schema: schemas.listKeys }, async (request) =>
      operator.listKeys(services, request.query),
    );

    app.patch('/admin/v1/keys/:key_id', { schema: schemas.updateKey }, async (request) =>
      operator.updateKey(services, request.params.key_id, request.body),
    );

    app.delete('/admin/v1/keys/:key_id', { schema: schemas.deleteKey }, async (request) =>
      operator.deleteKey(services, request.params.key_id),
    );

    app.get('/admin/v1/webhook-deliveries', { schema: schemas.listWebhookDeliveries }, async (request) =>
      listDeliveries(services.store, request.query),
    );

    app.post(
      '/admin/v1/webhook-deliveries/:id/redeliver',
      { schema: schemas.redeliverWebhook },
      async (request, reply) => reply.status(202).send(await redeliver(services, request.params.id)),
    );

    app.get('/admin/v1/outbox', { schema: schemas.listOutbox }, async (request) => {
      const messages = await services.mailer.list(request.query);
      return {
        data: messages.map((m) => ({ ...m, created_at: toIso(m.created_at), sent_at: toIso(m.sent_at) })),
      };
    });
  };
