import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requestKey } from '../../accounts/self-serve-keys.ts';
import type { Services } from '../../app/compose.ts';
import { AppError } from '../../errors/app-error.ts';
import { rateHeaders } from '../../limiter/rate-headers.ts';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,63}$/;

const body = Type.Object({
  email: Type.String({ maxLength: 254 }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  environment: Type.Optional(Type.Union([Type.Literal('live'), Type.Literal('test')])),
});

export const hostingKeyRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/v1/keys',
      { schema: { tags: ['hosting'], summary: 'Create an account (if new) and an API key by email', body } },
      async (request, reply) => {
        if (!EMAIL.test(request.body.email.trim())) {
          throw new AppError('invalid_payload', { errors: { email: ['Must be a valid email address'] } });
        }
        const { body: result, rate } = await requestKey(services, {
          email: request.body.email,
          name: request.body.name ?? 'Default',
          environment: request.body.environment ?? 'live',
          clientIp: request.ip,
        });
        return reply.status(201).headers(rateHeaders(rate)).send(result);
      },
    );
  };
