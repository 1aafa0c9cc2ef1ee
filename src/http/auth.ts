import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { authenticate, type Principal } from '../accounts/authenticate.ts';
import type { Services } from '../app/compose.ts';
import { AppError } from '../errors/app-error.ts';
import { isAdminToken } from '../sessions/secrets.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/**
 * Auth runs in `onRequest`, before the body is read or validated: permission is checked before payload
 * (docs/api.md §0). Only the `Authorization` header is looked at; keys elsewhere count as missing.
 */
export function requireKey(services: Services, family: 'hosting' | 'enhancement'): onRequestHookHandler {
  return async (request) => {
    request.principal = await authenticate(
      services.store,
      services.config.keyPrefix,
      request.headers.authorization,
      {
        requireVerifiedForLive: family === 'enhancement',
      },
    );
  };
}

/** Hosting routes where a key is optional: no header means anonymous, but a bad key is still a 401. */
export function optionalKey(services: Services): onRequestHookHandler {
  return async (request) => {
    if (request.headers.authorization === undefined) return;
    request.principal = await authenticate(
      services.store,
      services.config.keyPrefix,
      request.headers.authorization,
      {
        requireVerifiedForLive: false,
      },
    );
  };
}

export function requireAdmin(services: Services): onRequestHookHandler {
  return async (request) => {
    const header = request.headers.authorization;
    if (!header) throw new AppError('missing_api_key', { message: 'Missing admin token.' });
    const token = /^Bearer (\S+)$/i.exec(header.trim())?.[1] ?? '';
    if (!isAdminToken(services.secrets.adminToken, token))
      throw new AppError('invalid_api_key', { message: 'Invalid admin token.' });
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route needs requireKey before reading the principal');
  return request.principal;
}
