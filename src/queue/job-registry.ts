import type { TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import {
  InvalidJobPayloadError,
  type JobHandler,
  type JobHandlers,
  type JobSpec,
  UnknownJobError,
} from './queue.ts';

/**
 * The specs a queue instance was created with, their schemas compiled once. Both backends check payloads here: at
 * enqueue on the JSON copy, so what passes is exactly what the worker checks later (no Dates, undefineds or class
 * instances that JSON would silently change), and again before every attempt.
 */
export class JobRegistry {
  private readonly specs = new Map<string, { spec: JobSpec; check: TypeCheck<TSchema> }>();

  constructor(specs: readonly JobSpec[]) {
    for (const spec of specs) {
      if (this.specs.has(spec.name)) throw new Error(`job ${JSON.stringify(spec.name)} is specified twice`);
      this.specs.set(spec.name, { spec, check: TypeCompiler.Compile(spec.payload) });
    }
  }

  get names(): string[] {
    return [...this.specs.keys()];
  }

  /** The registered spec of that name (the caller's copy may be another release's). */
  spec(name: string): JobSpec {
    const entry = this.specs.get(name);
    if (!entry) throw new UnknownJobError(name);
    return entry.spec;
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  /** The payload as it will be stored, or `InvalidJobPayloadError`. Throws `UnknownJobError` first. */
  storable(name: string, payload: unknown): string {
    this.spec(name);
    let json: string | undefined;
    try {
      json = JSON.stringify(payload);
      if (json === undefined) throw new Error('payload is not JSON');
    } catch (error) {
      throw new InvalidJobPayloadError(name, error);
    }
    this.check(name, JSON.parse(json));
    return json;
  }

  /** Throws `InvalidJobPayloadError` when a (stored, parsed) payload does not match its spec's schema. */
  check(name: string, payload: unknown): void {
    const entry = this.specs.get(name);
    if (!entry) throw new UnknownJobError(name);
    if (entry.check.Check(payload)) return;
    const first = entry.check.Errors(payload).First();
    const where = first?.path ? `${first.path}: ` : '';
    throw new InvalidJobPayloadError(
      name,
      new Error(`${where}${first?.message ?? 'does not match its schema'}`),
    );
  }

  /** The handlers given at `start`, checked against the specs: one for each, none for a job the queue lacks. */
  bind(handlers: JobHandlers): ReadonlyMap<string, JobHandler<unknown>> {
    const bound = new Map<string, JobHandler<unknown>>();
    for (const name of this.specs.keys()) {
      const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
      if (!handler) throw new Error(`no handler for job ${JSON.stringify(name)}`);
      bound.set(name, handler);
    }
    for (const name of Object.keys(handlers)) {
      if (!this.specs.has(name))
        throw new Error(`a handler for job ${JSON.stringify(name)}, which has no spec`);
    }
    return bound;
  }
}
