import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const base: Options = { allErrors: false, strict: false, useDefaults: true };

/**
 * Bodies are validated as sent (no type coercion, unknown fields stay and fail `additionalProperties: false`):
 * a client sending `"images": "x"` must get `invalid_payload`, not a silently coerced request. Query strings and
 * path params arrive as text, so those are coerced.
 */
const bodyAjv = addFormats.default(new Ajv({ ...base, coerceTypes: false, removeAdditional: false }));
const textAjv = addFormats.default(new Ajv({ ...base, coerceTypes: true, removeAdditional: false }));

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object);
