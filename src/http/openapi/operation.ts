import { type Static, type TSchema, type TUnsafe, Type } from '@sinclair/typebox';
import type { ErrorCode } from '../../errors/catalog.ts';
import type { ErrorBody } from '../schemas/errors.ts';
import { type Envelope, type ErrorSpec, errorResponses, type HeaderDoc } from './error-responses.ts';

/**
 * `operation({...})` builds a route's whole Fastify `schema` from one description: the request parts Fastify
 * validates, the documentation (tag, operationId, summary, security), the success responses and the error responses
 * generated from the catalog. Routes spread nothing else; CONTRIBUTING.md "Document a route" shows the pattern.
 *
 * Response schemas only document: the server serialises with `JSON.stringify` (server.ts), so a field missing from a
 * schema is never dropped from the wire — the test suites catch it instead (test/support/openapi-conformance.ts).
 */

export const TAGS = {
  Hosting:
    'img.pro-compatible hosting (`/v1`): API keys by email, upload, import, media, usage. Flat error envelope.',
  Enhancement:
    'AI Gen Studio-compatible product image enhancement (`/api/v1`): presets, batches, status. Nested error envelope.',
  Operator: 'Operator API (`/admin/v1`): accounts, credits, keys, webhook deliveries, outbox. Admin token.',
  Delivery: 'Image delivery (`src` URLs with renditions) and the public viewer page.',
  Service: 'Health and readiness probes.',
} as const;
export type Tag = keyof typeof TAGS;

/** Security scheme names of the document (components.securitySchemes). */
export const SECURITY_SCHEMES = {
  apiKey: 'apiKey',
  adminToken: 'adminToken',
  session: 'session',
} as const;

/**
 * `optionalApiKey`: anonymous calls are allowed, but a key that is sent must be valid (declared as
 * `security: [{}, {apiKey: []}]`).
 */
export type Auth = 'none' | 'apiKey' | 'optionalApiKey' | 'adminToken' | 'session';

const SECURITY: Record<Auth, Record<string, string[]>[] | undefined> = {
  none: undefined,
  apiKey: [{ [SECURITY_SCHEMES.apiKey]: [] }],
  optionalApiKey: [{}, { [SECURITY_SCHEMES.apiKey]: [] }],
  adminToken: [{ [SECURITY_SCHEMES.adminToken]: [] }],
  session: [{ [SECURITY_SCHEMES.session]: [] }],
};

const ENVELOPE: Record<Tag, Envelope | undefined> = {
  Hosting: 'hosting',
  Enhancement: 'nested',
  Operator: 'nested',
  Delivery: undefined,
  Service: undefined,
};

/** The codes authentication can answer, per scheme and envelope (docs/api.md §1). */
const KEY_REFUSALS: readonly ErrorCode[] = [
  'invalid_api_key',
  'api_key_expired',
  'api_key_inactive',
  'api_key_revoked',
  'account_suspended',
  'payment_risk_restricted',
];
function authErrors(auth: Auth, tag: Tag): readonly ErrorCode[] {
  switch (auth) {
    case 'none':
    case 'session':
      return [];
    case 'optionalApiKey':
      return KEY_REFUSALS;
    case 'apiKey':
      return tag === 'Enhancement'
        ? ['missing_api_key', ...KEY_REFUSALS, 'email_not_verified']
        : ['missing_api_key', ...KEY_REFUSALS];
    case 'adminToken':
      return ['missing_api_key', 'invalid_api_key'];
  }
}

const RATE_LIMIT_HEADERS: Record<string, HeaderDoc> = {
  'X-RateLimit-Limit': { type: 'integer', description: 'Requests the budget allows per window.' },
  'X-RateLimit-Remaining': { type: 'integer', description: 'Requests left in the budget.' },
  'X-RateLimit-Reset': {
    type: 'integer',
    description:
      'Unix seconds: when the next request is admitted (with `Remaining` at 0), else when the budget is whole again.',
  },
};
export const RETRY_AFTER_HEADER: Record<string, HeaderDoc> = {
  'Retry-After': { type: 'integer', description: 'Seconds to wait before retrying.' },
};

/** A success (or otherwise non-error) response. */
export interface ReplyDoc<S extends TSchema = TSchema> {
  description: string;
  schema: S;
  /** Media types of a body that is not JSON (an image, a page); the schema describes each. */
  contentTypes?: readonly string[];
  headers?: Record<string, HeaderDoc>;
}

interface RequestParts {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  headers?: TSchema;
}

/**
 * Request parts shown in the document only, because the domain validates them itself, in its own order and words
 * (`Idempotency-Key` is checked after the body; PATCH fields are parsed by `media-fields.ts`), because they never
 * reach Fastify's validator (multipart), or because invalid values must be ignored, not refused (`src`). Merged into
 * the documented schema by the `transform` of document.ts.
 */
export interface DocumentedRequest {
  params?: TSchema;
  querystring?: TSchema;
  headers?: TSchema;
  /** Body schema per media type. */
  body?: Record<string, TSchema>;
}
export const DOCUMENTED_REQUEST = 'x-documented-request';

export interface OperationSpec<Q extends RequestParts, R extends Record<number, ReplyDoc>> {
  tag: Tag;
  /** camelCase verb + noun, unique in the document: generated clients name their methods after it. */
  operationId: string;
  summary: string;
  /** Markdown: the rules a client must know that the schemas cannot say. */
  description?: string;
  auth: Auth;
  /** The route sends `X-RateLimit-*` (and `Retry-After` with its 429s). */
  rateLimited?: boolean;
  /** The error envelope, when not the tag's (`src` and the viewer answer a 500 in the hosting one). */
  envelope?: Envelope;
  request?: Q;
  documentedRequest?: DocumentedRequest;
  responses: R;
  /**
   * Catalog codes the route raises besides the ones every route of its kind can (authentication failures,
   * `invalid_payload` when it takes input, `unexpected`).
   */
  errors?: readonly ErrorSpec[];
}

type SuccessSchemas<R extends Record<number, ReplyDoc>> = {
  [K in keyof R]: R[K] extends ReplyDoc<infer S> ? TUnsafe<Static<S>> : never;
};
/** The statuses of catalog errors (the catalog types them as `number`; this list only types handlers). */
type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504;
/**
 * The statuses an operation's errors can take, typed as error bodies so handlers are checked against success and
 * error shapes alike (a reply type with a `number` index would hide the success ones).
 */
type ErrorSchemas<R> = Omit<Record<ErrorStatus, TUnsafe<ErrorBody>>, keyof R>;

export type OperationSchema<Q extends RequestParts, R extends Record<number, ReplyDoc>> = Q & {
  tags: Tag[];
  operationId: string;
  summary: string;
  description?: string;
  security?: Record<string, string[]>[];
  response: SuccessSchemas<R> & ErrorSchemas<R>;
  [DOCUMENTED_REQUEST]?: DocumentedRequest;
};

export function operation<Q extends RequestParts, R extends Record<number, ReplyDoc>>(
  spec: OperationSpec<Q, R>,
): OperationSchema<Q, R> {
  const envelope = spec.envelope ?? ENVELOPE[spec.tag];
  const hasInput =
    spec.request !== undefined &&
    (spec.request.params ?? spec.request.querystring ?? spec.request.body) !== undefined;
  const rateHeaders = spec.rateLimited ? RATE_LIMIT_HEADERS : undefined;
  const headersFor = (status: number) =>
    status === 429 ? { ...RETRY_AFTER_HEADER, ...rateHeaders } : rateHeaders;

  const response: Record<number, TSchema> = {};
  if (envelope) {
    const errors: ErrorSpec[] = [
      ...authErrors(spec.auth, spec.tag),
      ...(hasInput || spec.documentedRequest?.body ? (['invalid_payload'] as const) : []),
      ...(spec.errors ?? []),
      'unexpected',
    ];
    Object.assign(response, errorResponses(envelope, errors, headersFor));
  } else if (spec.errors?.length) {
    throw new Error(`${spec.operationId}: a ${spec.tag} operation has no error envelope to list codes in`);
  }
  // Written last: a status the route answers in its own way (`src`'s plain-text 404) wins over the catalog's.
  for (const [status, reply] of Object.entries(spec.responses)) {
    response[Number(status)] = replySchema(reply, headersFor(Number(status)));
  }

  const security = SECURITY[spec.auth];
  // The mapped type of `response` cannot be built key by key; its shape is what the loops above put in it.
  return {
    ...(spec.request as Q),
    tags: [spec.tag],
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    ...(security ? { security } : {}),
    response: response as OperationSchema<Q, R>['response'],
    ...(spec.documentedRequest ? { [DOCUMENTED_REQUEST]: spec.documentedRequest } : {}),
  };
}

/** Fastify's response schema for one reply: JSON as the schema itself, anything else under `content`. */
function replySchema(reply: ReplyDoc, headers: Record<string, HeaderDoc> | undefined): TSchema {
  const allHeaders = { ...headers, ...reply.headers };
  // @fastify/swagger reads a `$ref`'s response description from `description` (it drops the ref's siblings), an
  // inline schema's from `x-response-description` (which leaves the schema's own description alone).
  const extras = {
    [reply.schema.$ref === undefined ? 'x-response-description' : 'description']: reply.description,
    ...(Object.keys(allHeaders).length > 0 ? { headers: allHeaders } : {}),
  };
  if (reply.contentTypes) {
    return Type.Unsafe({
      ...extras,
      content: Object.fromEntries(reply.contentTypes.map((type) => [type, { schema: reply.schema }])),
    });
  }
  return Type.Unsafe({ ...reply.schema, ...extras });
}
