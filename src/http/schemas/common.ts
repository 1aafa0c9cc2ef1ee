import { type SchemaOptions, type Static, type TSchema, Type } from '@sinclair/typebox';

/**
 * Building blocks of the route schemas. The schemas are written once, in TypeBox: routes validate requests with
 * them, the OpenAPI document (`/openapi.json`) is generated from them, and the test suites check every response
 * against that document (see docs/openapi.md).
 */

/** A string with a fixed set of values, as `{type: string, enum}` (reads better in the document than `anyOf`). */
export const StringEnum = <const T extends readonly string[]>(values: T, options: SchemaOptions = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** The same in the document, but typed `string` for the server (where the store keeps the value as text). */
export const TextEnum = (values: readonly string[], description?: string) =>
  Type.Unsafe<string>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });

/**
 * `T` or `null`. Scalar types become `type: [T, 'null']` (JSON Schema 2020-12, OpenAPI 3.1); anything else an
 * `anyOf`.
 */
export function Nullable<T extends TSchema>(schema: T, options: SchemaOptions = {}) {
  const type = (schema as { type?: unknown }).type;
  if (typeof type === 'string' && type !== 'object' && type !== 'array') {
    const enumValues = (schema as { enum?: unknown[] }).enum;
    return Type.Unsafe<Static<T> | null>({
      ...schema,
      ...options,
      type: [type, 'null'],
      ...(enumValues ? { enum: [...enumValues, null] } : {}),
    });
  }
  return Type.Unsafe<Static<T> | null>(Type.Union([schema, Type.Null()], options));
}

/** A named schema: listed in `components.schemas` of the document and referenced from operations by `ref`. */
export type Component<T extends TSchema = TSchema> = T & { $id: string };

export function component<T extends TSchema>(id: string, schema: T): Component<T> {
  return Object.assign(schema, { $id: id });
}

/** A `$ref` to a component, typed as the component (TypeBox 0.34 types bare refs as `unknown`). */
export const ref = <T extends TSchema>(schema: Component<T>, options: SchemaOptions = {}) =>
  Type.Unsafe<Static<T>>(Type.Ref(schema.$id, options));

/** ISO-8601 UTC instant (enhancement and operator families). */
export const IsoInstant = (options: SchemaOptions = {}) =>
  Type.String({ format: 'date-time', examples: ['2026-01-15T09:30:00.000Z'], ...options });

/** Unix seconds (hosting family). */
export const UnixSeconds = (options: SchemaOptions = {}) =>
  Type.Integer({ minimum: 0, examples: [1768469400], ...options });

/** Path parameters of a route addressing one resource by `id`. */
export const IdParam = (maxLength: number, description: string) =>
  Type.Object({ id: Type.String({ maxLength, description }) });
