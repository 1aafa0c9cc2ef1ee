import { AppError } from '../errors/app-error.ts';

export interface MediaFields {
  name?: string;
  tags?: string[];
  namespace?: string | null;
  public?: boolean;
  /** Seconds until expiry; null = permanent (PATCH only). */
  ttl?: number | null;
  date?: string | null;
  metadata?: Record<string, string>;
  /**
   * PATCH only: `description` set (a string) or removed (null) within the existing metadata. At upload and import
   * it is folded into `metadata` instead.
   */
  description?: string | null;
}

const NAMESPACE = /^[a-z0-9-]{2,64}$/;
const METADATA_KEY = /^[a-z0-9_]{1,40}$/;
const MIN_TTL = 300;
const MAX_TTL = 90 * 86_400;
/** Metadata values, `description` included. */
const MAX_METADATA_VALUE = 500;
export const MAX_METADATA_FIELDS = 20;
const TTL_UNITS: Record<string, number> = { m: 60, h: 3600, d: 86_400 };
/** Upload fields that are not metadata. */
export const KNOWN_FIELDS = new Set([
  'file',
  'name',
  'tags',
  'namespace',
  'public',
  'ttl',
  'date',
  'metadata',
  'description',
  'url',
]);

type Errors = Record<string, string[]>;
const push = (errors: Errors, field: string, message: string) => {
  errors[field] = [...(errors[field] ?? []), message];
};

/**
 * Parses the shared media fields of upload (multipart text), import and PATCH (JSON) per docs/api.md §2.2/§2.4.
 * Collects every field error before failing, like the published `errors` object.
 */
export function parseMediaFields(
  raw: Record<string, unknown>,
  options: { mode: 'create' | 'update'; extraMetadata?: Record<string, string> },
): MediaFields {
  const errors: Errors = {};
  const out: MediaFields = {};

  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || raw.name.trim().length === 0 || raw.name.length > 255) {
      push(errors, 'name', 'Must be a string of 1-255 characters');
    } else out.name = raw.name.trim();
  }

  if (raw.tags !== undefined && raw.tags !== null) {
    const list = Array.isArray(raw.tags)
      ? raw.tags
      : typeof raw.tags === 'string'
        ? raw.tags.split(',')
        : null;
    if (!list || list.some((t) => typeof t !== 'string'))
      push(errors, 'tags', 'Must be a comma-separated string or an array of strings');
    else {
      const tags = [...new Set((list as string[]).map((t) => t.trim().toLowerCase()).filter(Boolean))];
      if (tags.length > 10) push(errors, 'tags', 'At most 10 tags');
      const long = tags.find((t) => t.length > 50);
      if (long) push(errors, 'tags', `Tag "${long.slice(0, 20)}…" is longer than 50 characters`);
      out.tags = tags;
    }
  }

  if (raw.namespace !== undefined) {
    if (raw.namespace === null || raw.namespace === '') {
      if (options.mode === 'update') out.namespace = null;
    } else if (typeof raw.namespace !== 'string' || !NAMESPACE.test(raw.namespace)) {
      push(errors, 'namespace', 'Must be lowercase alphanumeric with hyphens');
    } else out.namespace = raw.namespace;
  }

  if (raw.public !== undefined) {
    const value = raw.public;
    if (value === true || value === 'true' || value === '1') out.public = true;
    else if (value === false || value === 'false' || value === '0') out.public = false;
    else push(errors, 'public', 'Must be true or false');
  }

  if (raw.ttl !== undefined) {
    if (raw.ttl === null && options.mode === 'update') out.ttl = null;
    else {
      const ttl = parseTtl(raw.ttl);
      if (ttl === null)
        push(errors, 'ttl', 'Must be seconds (>= 300) or <n>m|h|d, between 5 minutes and 90 days');
      else out.ttl = ttl;
    }
  }

  if (raw.date !== undefined) {
    if (raw.date === null && options.mode === 'update') out.date = null;
    else {
      const date = parseDate(raw.date);
      if (date === null) push(errors, 'date', 'Must be an ISO-8601 date (YYYY-MM-DD or a full timestamp)');
      else out.date = date;
    }
  }

  // `description` is kept as the metadata field of that name, the same way whether it arrives as a multipart field
  // (upload), a JSON field (import, PATCH) or inside `metadata`; a top-level `description` wins over the latter.
  let description: string | null | undefined;
  if (raw.description !== undefined) {
    if (raw.description === null && options.mode === 'update') description = null;
    else if (typeof raw.description !== 'string' || raw.description.length > MAX_METADATA_VALUE)
      push(errors, 'description', `Must be a string of at most ${MAX_METADATA_VALUE} characters`);
    else description = raw.description;
  }

  const metadata: Record<string, unknown> = { ...options.extraMetadata };
  if (raw.metadata !== undefined && raw.metadata !== null) {
    if (typeof raw.metadata !== 'object' || Array.isArray(raw.metadata))
      push(errors, 'metadata', 'Must be an object');
    else Object.assign(metadata, raw.metadata);
  }
  if (options.mode === 'create' && typeof description === 'string') metadata.description = description;
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_FIELDS)
    push(errors, 'metadata', `At most ${MAX_METADATA_FIELDS} metadata fields`);
  for (const [key, value] of entries) {
    if (!METADATA_KEY.test(key))
      push(errors, 'metadata', `Key "${key.slice(0, 40)}" must match ^[a-z0-9_]{1,40}$`);
    else if (typeof value !== 'string' || value.length > MAX_METADATA_VALUE)
      push(
        errors,
        'metadata',
        `Value of "${key}" must be a string of at most ${MAX_METADATA_VALUE} characters`,
      );
  }
  if (entries.length > 0 || raw.metadata !== undefined)
    out.metadata = Object.fromEntries(entries) as Record<string, string>;
  if (options.mode === 'update' && description !== undefined) out.description = description;

  if (Object.keys(errors).length > 0) throw new AppError('invalid_payload', { errors });
  return out;
}

function parseTtl(value: unknown): number | null {
  let seconds: number | null = null;
  if (typeof value === 'number' && Number.isInteger(value)) seconds = value;
  else if (typeof value === 'string') {
    const match = /^(\d{1,9})([mhd]?)$/.exec(value.trim());
    if (match?.[1]) seconds = Number(match[1]) * (match[2] ? (TTL_UNITS[match[2]] ?? 1) : 1);
  }
  if (seconds === null || seconds < MIN_TTL || seconds > MAX_TTL) return null;
  return seconds;
}

function parseDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const d = new Date(`${v}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v) ? v : null;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) {
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  return null;
}
