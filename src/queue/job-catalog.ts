import { InvalidJobPayloadError, type JobDefinition, UnknownJobError } from './queue.ts';

/** Name → definition. Every process that enqueues or runs jobs builds the same catalog. */
export type JobCatalog = ReadonlyMap<string, JobDefinition<unknown>>;

export function createJobCatalog(definitions: readonly JobDefinition<unknown>[]): JobCatalog {
  const catalog = new Map<string, JobDefinition<unknown>>();
  for (const definition of definitions) {
    if (catalog.has(definition.name))
      throw new Error(`job ${JSON.stringify(definition.name)} is defined twice`);
    catalog.set(definition.name, definition);
  }
  return catalog;
}

export function jobDefinition(catalog: JobCatalog, name: string): JobDefinition<unknown> {
  const definition = catalog.get(name);
  if (!definition) throw new UnknownJobError(name);
  return definition;
}

/**
 * The payload as it will be stored: validated on its JSON copy, so what passes here is exactly what the handler's
 * validation sees later (no Dates, undefineds or class instances that JSON would silently change).
 */
export function storablePayload(definition: JobDefinition<unknown>, payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
    if (json === undefined) throw new Error('payload is not JSON');
    definition.validate(JSON.parse(json));
  } catch (error) {
    throw new InvalidJobPayloadError(definition.name, error);
  }
  return json;
}
