import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { App } from '../../src/http/server.ts';
import { prefersHtml } from '../../src/web/accept.ts';

/**
 * The drift check: every answer a test server gives is compared with what `/openapi.json` says the route answers —
 * the status must be documented, the media type listed, a JSON body valid against the documented schema (objects
 * closed: a field the document does not name is a violation, so a new field cannot ship undocumented), and the
 * rate-limit, `Retry-After`, `Location` and `Idempotent-Replayed` headers declared where they are sent.
 * `startTestServer` installs it on every server and fails the file's `close()` when anything disagreed.
 * `close()` flushes before the server closes: the document is read from the live server.
 */

interface ResponseObject {
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: unknown }>;
}
type OperationObject = { responses: Record<string, ResponseObject> };
type Document = { paths: Record<string, Record<string, OperationObject>> };

/** Headers whose presence the document must declare on the response that carries them. */
const DECLARED_HEADERS = [
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'retry-after',
  'location',
  'idempotent-replayed',
];

/** One answer as the server sent it. */
export interface ObservedAnswer {
  method: string;
  /** The route as registered (`/v1/media/:id`). */
  route: string;
  status: number;
  /** Lowercase names of the headers sent. */
  headers: readonly string[];
  contentType: string | undefined;
  /** The body as text; `undefined` when empty; binary and streamed bodies are not read. */
  body: string | undefined;
  /** The request's `Accept` prefers HTML (a browser). */
  prefersHtml: boolean;
}

/** Checks answers against a document: the violations of one answer, or `null` when no operation covers it. */
export function openApiChecker(source: unknown): (answer: ObservedAnswer) => string[] | null {
  const document = closeObjects(structuredClone(source)) as Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addFormat('binary', true);
  ajv.addSchema(document as object, 'openapi.json');
  const validators = new Map<string, ValidateFunction>();

  return (answer) => {
    const path = answer.route.replace(/:(\w+)/g, '{$1}');
    const method = answer.method === 'HEAD' ? 'get' : answer.method.toLowerCase();
    const operation = document.paths[path]?.[method];
    if (!operation) return null; // hidden routes: the documents themselves, CORS preflights, signed-link pages
    const where = `${answer.method} ${answer.route} → ${answer.status}`;
    const key = String(answer.status) in operation.responses ? String(answer.status) : 'default';
    const response = operation.responses[key];
    if (!response) return [`${where}: status not documented (body: ${preview(answer.body)})`];
    const violations = DECLARED_HEADERS.filter(
      (header) => answer.headers.includes(header) && !declares(response, header),
    ).map((header) => `${where}: sends ${header}, which the document does not declare`);
    if (!response.content) {
      if (answer.body !== undefined)
        violations.push(`${where}: documented without a body, sent ${preview(answer.body)}`);
      return violations;
    }
    const mediaType = answer.contentType?.split(';')[0]?.trim();
    // Any error answered to a browser is the HTML error page instead (the document's description says so).
    if (answer.status >= 400 && answer.prefersHtml && mediaType === 'text/html') return violations;
    if (!mediaType || !(mediaType in response.content)) {
      return [...violations, `${where}: content-type ${mediaType ?? '(none)'} not documented`];
    }
    if (mediaType !== 'application/json' || answer.method === 'HEAD' || answer.body === undefined) {
      return violations;
    }
    const pointer = ['paths', path, method, 'responses', key, 'content', mediaType, 'schema']
      .map((segment) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1')))
      .join('/');
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.getSchema(`openapi.json#/${pointer}`);
      if (!validate) throw new Error(`no schema at ${pointer}`);
      validators.set(pointer, validate);
    }
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch {
      return [...violations, `${where}: declared JSON, sent ${preview(answer.body)}`];
    }
    if (!validate(json)) {
      const errors = (validate.errors ?? [])
        .map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
        .join('; ');
      violations.push(
        `${where}: body does not match the document: ${errors} (body: ${preview(answer.body)})`,
      );
    }
    return violations;
  };
}

export interface Conformance {
  /** What disagreed, one line each (complete after `flush()`). */
  violations: string[];
  /** Answers checked against a documented operation. */
  checked: number;
  /** Checks the answers recorded since the last flush. */
  flush(): void;
}

/** Answers kept before they are checked at once (bounds the memory of a long test file). */
const MAX_PENDING = 2000;

/**
 * Installs the check on a test server (before it is ready). Answers are recorded as they leave and checked later, in
 * `flush()` (which `close()` calls), so the check costs the answers under test no time.
 */
export function checkResponsesAgainstOpenApi(app: App): Conformance {
  let check: ReturnType<typeof openApiChecker> | undefined;
  const bodies = new WeakMap<object, string | undefined>();
  const pending: (ObservedAnswer & { url: string })[] = [];
  const state: Conformance = {
    violations: [],
    checked: 0,
    flush() {
      check ??= openApiChecker(app.swagger());
      for (const answer of pending.splice(0)) {
        try {
          const violations = check(answer);
          if (violations) {
            state.checked++;
            state.violations.push(...violations);
          }
        } catch (error) {
          state.violations.push(`${answer.method} ${answer.url}: the check failed: ${String(error)}`);
        }
      }
    },
  };
  app.addHook('onSend', async (request, _reply, payload) => {
    bodies.set(request, textOf(payload));
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    // No route: the not-found handler (docs/errors.md), not an operation.
    if (route === undefined) return;
    pending.push({
      url: request.url,
      method: request.method,
      route,
      status: reply.statusCode,
      headers: Object.keys(reply.getHeaders()).map((name) => name.toLowerCase()),
      contentType: reply.getHeader('content-type')?.toString(),
      body: bodies.get(request),
      prefersHtml: prefersHtml(request.headers.accept),
    });
    if (pending.length >= MAX_PENDING) state.flush();
  });
  return state;
}

function declares(response: ResponseObject, header: string): boolean {
  return Object.keys(response.headers ?? {}).some((name) => name.toLowerCase() === header);
}

function textOf(payload: unknown): string | undefined {
  if (typeof payload === 'string') return payload === '' ? undefined : payload;
  if (Buffer.isBuffer(payload)) return payload.length === 0 ? undefined : '<binary>';
  if (payload === null || payload === undefined) return undefined;
  return '<stream>';
}

const preview = (text: string | undefined): string =>
  text === undefined ? '(empty)' : text.length > 300 ? `${text.slice(0, 300)}…` : text;

/**
 * Every object schema that lists its properties and says nothing about others gets `additionalProperties: false`:
 * the document stays open for clients (new fields may be added), the check is strict.
 */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) {
    for (const item of node) closeObjects(item);
    return node;
  }
  if (typeof node !== 'object' || node === null) return node;
  const object = node as Record<string, unknown>;
  if (
    typeof object.properties === 'object' &&
    object.properties !== null &&
    object.additionalProperties === undefined &&
    object.patternProperties === undefined
  ) {
    object.additionalProperties = false;
  }
  for (const value of Object.values(object)) closeObjects(value);
  return node;
}
