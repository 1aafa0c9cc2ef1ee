import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, isAppError } from '../errors/app-error.ts';
import { catalog } from '../errors/catalog.ts';
import { familyOf, renderError } from '../errors/render.ts';
import { prefersHtml } from '../web/accept.ts';
import type { ErrorFacts } from '../web/error-page.ts';

/** An error as a web page, for browsers (src/web/error-page.ts). */
export type HtmlErrors = (facts: ErrorFacts) => { headers: Record<string, string>; body: string };

/**
 * Sends an error in the envelope of the path's family — or, when the request prefers HTML (a browser navigating
 * there) and `htmlErrors` is given, as a page with the same status, code, message and request id.
 */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: AppError,
  htmlErrors?: HtmlErrors,
): FastifyReply {
  // The web's own codes arise only on web routes (forms, the dashboard API): they keep their envelope wherever.
  const family = catalog[error.code].family === 'web' ? 'web' : familyOf(request.url);
  const rendered = renderError(error, family, request.id);
  reply.status(rendered.status).headers(rendered.headers);
  if (htmlErrors && prefersHtml(request.headers.accept)) {
    const body = rendered.body as { error: string | { code: string; message: string }; message?: string };
    const nested = typeof body.error === 'object' ? body.error : null;
    const page = htmlErrors({
      status: rendered.status,
      code: nested ? nested.code : String(body.error),
      message: nested ? nested.message : String(body.message ?? ''),
      requestId: request.id,
      retryAfter: rendered.headers['retry-after'],
      path: request.url.split('?')[0],
    });
    return reply.headers(page.headers).send(page.body);
  }
  return reply.send(rendered.body);
}

/** Every failure leaves through here, in the envelope of the route's family (a page for browsers). */
export function installErrorHandling(app: FastifyInstance, htmlErrors?: HtmlErrors): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = isAppError(error) ? error : fromFrameworkError(error);
    if (!appError) {
      // Internal detail goes to the log only; the body carries the generic message and the request id.
      request.log.error({ err: error }, 'unhandled error');
      return sendError(request, reply, new AppError('unexpected'), htmlErrors);
    }
    if (appError.code === 'unexpected') request.log.error({ err: error }, 'unexpected error');
    return sendError(request, reply, appError, htmlErrors);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new AppError('not_found', { message: `No route for ${request.method} ${request.url.split('?')[0]}` }),
      htmlErrors,
    ),
  );
}

/** Fastify's own 4xx errors (parsing, schema validation, size) become the family's validation error. */
function fromFrameworkError(error: FastifyError): AppError | null {
  if (error.validation) {
    const errors: Record<string, string[]> = {};
    // A union of literals (`live | test`) fails once per branch plus once for `anyOf`: say "one of" once instead.
    const allowed: Record<string, unknown[]> = {};
    for (const v of error.validation) {
      const params =
        (v.params as { missingProperty?: string; additionalProperty?: string; allowedValue?: unknown }) ?? {};
      const field =
        params.missingProperty ??
        params.additionalProperty ??
        (v.instancePath.replace(/^\//, '').replace(/\//g, '.') || error.validationContext || 'body');
      if (v.keyword === 'const') {
        allowed[field] = [...(allowed[field] ?? []), params.allowedValue];
        continue;
      }
      if (v.keyword === 'anyOf' && allowed[field]) continue;
      const message = params.additionalProperty ? 'Unknown field' : (v.message ?? 'Invalid value');
      const list = errors[field] ?? [];
      const text = message[0]?.toUpperCase() + message.slice(1);
      if (!list.includes(text)) list.push(text);
      errors[field] = list;
    }
    for (const [field, values] of Object.entries(allowed)) {
      errors[field] = [
        `Must be one of: ${values.map((x) => String(x)).join(', ')}`,
        ...(errors[field] ?? []),
      ];
    }
    const summary = Object.entries(errors)
      .map(([field, list]) => `${field}: ${list.join(', ')}`)
      .join('; ');
    return new AppError('invalid_payload', {
      errors,
      message: `The request payload is invalid (${summary}).`,
    });
  }
  const bodyProblem: Record<string, string> = {
    FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON body',
    FST_ERR_CTP_EMPTY_JSON_BODY: 'Empty JSON body',
    FST_ERR_CTP_BODY_TOO_LARGE: 'Body too large',
    FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type',
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Invalid Content-Length',
  };
  const problem = error.code ? bodyProblem[error.code] : undefined;
  if (problem || error instanceof SyntaxError) {
    const text = problem ?? 'Malformed JSON body';
    return new AppError('invalid_payload', {
      errors: { body: [text] },
      message: `The request payload is invalid (${text}).`,
    });
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new AppError('invalid_payload', { errors: { body: [error.message] } });
  }
  return null;
}
