import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors/app-error.ts';

/** Deepest nesting of arrays and objects a JSON body may have; no request of either API needs more than a few. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether `text` nests arrays/objects deeper than `max`, in one pass and without building anything: brackets
 * inside strings (escapes included) do not count. Unbalanced or otherwise malformed text is left to the parser.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/**
 * Replaces Fastify's JSON parser with the same parser (body limit, `__proto__`/`constructor` poisoning refused)
 * behind a depth check: a megabyte of `[[[[…` costs a linear scan instead of half a second building it. Register
 * before the routes: content-type parsers are copied into each plugin when it is registered.
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) {
      const problem = `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
      done(
        new AppError('invalid_payload', {
          errors: { body: [problem] },
          message: `The request payload is invalid (${problem}).`,
        }),
        undefined,
      );
      return;
    }
    parse(request, text, done);
  });
}
