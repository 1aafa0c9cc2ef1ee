import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkKeyIpRate, KEY_RATE_PERIOD_MS, requestKey } from '../../accounts/self-serve-keys.ts';
import type { Services } from '../../app/compose.ts';
import { AppError } from '../../errors/app-error.ts';
import type { RateDecision, RateRule } from '../../limiter/limiter.ts';
import { rateHeaders } from '../../limiter/rate-headers.ts';
import { hostingSchemas } from '../schemas/hosting.ts';

/** The IP decision of a request, from its onRequest hook to its handler. */
const ipRates = new WeakMap<object, RateDecision>();

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{2,63}$/;

/** Both key budgets are per hour; the rule lets the last allowed response name the next admission. */
const keyRule = (d: RateDecision): RateRule => ({ limit: d.limit, periodMs: KEY_RATE_PERIOD_MS });

export const hostingKeyRoutes =
  (services: Services): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/v1/keys',
      {
        schema: hostingSchemas.createKey,
        // Before the body is even parsed, so malformed requests are limited and carry the headers too.
        onRequest: async (request, reply) => {
          const ipRate = await checkKeyIpRate(services, request.ip);
          reply.headers(rateHeaders(ipRate, keyRule(ipRate)));
          ipRates.set(request, ipRate);
        },
      },
      async (request, reply) => {
        const ipRate = ipRates.get(request);
        if (!ipRate) throw new Error('the IP rate check did not run');
        if (!EMAIL.test(request.body.email.trim())) {
          throw new AppError('invalid_payload', { errors: { email: ['Must be a valid email address'] } });
        }
        const { body: result, rate } = await requestKey(services, {
          email: request.body.email,
          name: request.body.name ?? 'Default',
          environment: request.body.environment ?? 'live',
          ipRate,
        });
        return reply
          .status(201)
          .headers(rateHeaders(rate, keyRule(rate)))
          .send(result);
      },
    );
  };
