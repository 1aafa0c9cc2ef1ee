// The wire shapes of docs/api.md, as a client reads and sends them. Hosting timestamps are Unix seconds, enhancement
// timestamps ISO-8601 strings. Hand-written from the reference; `client.test.ts` runs every one against a server.

export type Environment = 'live' | 'test';
export type KeyStatus = 'active' | 'inactive' | 'pending_approval' | 'revoked';

// ---- Hosting (/v1) ----

/** `POST /v1/keys` (docs/api.md §2.1). */
export interface CreateKeyInput {
  email: string;
  name?: string;
  environment?: Environment;
}

export interface CreatedKey {
  key: string;
  key_id: string;
  status: KeyStatus;
  verified: boolean;
  limits: { uploads: number; storage_mb: number; retention_days: number | null };
  message: string;
}

/** The media object (§2.5). */
export interface Media {
  id: string;
  name: string;
  /** The viewer page. */
  url: string;
  /** The delivery URL; its token makes it unguessable. */
  src: string;
  width: number;
  height: number;
  filesize: number;
  format: string;
  namespace: string | null;
  tags: string[];
  public: boolean;
  date: string | null;
  metadata: Record<string, string>;
  sizes: { s: string; m: string; l: string };
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

/** An anonymous upload or import also says how to keep the image (§2.2). */
export interface CreatedMedia extends Media {
  upgrade?: { type: 'register'; url: string; message: string; label: string };
}

/** Fields shared by upload and import (§2.2, §2.3). */
export interface MediaFieldsInput {
  name?: string;
  /** At most 10; lowercased and deduplicated by the server. */
  tags?: string[] | string;
  namespace?: string;
  public?: boolean;
  /** Seconds (≥ 300) or `<n>m`, `<n>h`, `<n>d`. */
  ttl?: number | string;
  /** ISO date shown as the editorial date. */
  date?: string;
}

export interface UploadInput extends MediaFieldsInput {
  /** Extra string metadata (≤ 20 fields, names `^[a-z0-9_]{1,40}$`). */
  metadata?: Record<string, string>;
  /** The file name sent with a Buffer or Blob (a path sends its own base name). */
  filename?: string;
  /** Bytes of the request body sent so far, and the total. */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ImportInput extends MediaFieldsInput {
  url: string;
  signal?: AbortSignal;
}

export interface MediaListQuery {
  /** 1–100, default 50. */
  limit?: number;
  cursor?: string;
  namespace?: string;
  tags?: string[] | string;
  tag_mode?: 'any' | 'all';
  ids?: string[];
}

export interface MediaPage {
  data: Media[];
  pagination: { next_cursor: string | null; has_more: boolean };
}

/** `PATCH /v1/media/{id}` and the bulk form (§2.4). */
export interface MediaPatch {
  name?: string;
  tags?: string[] | string;
  tag_mode?: 'replace' | 'add' | 'remove';
  /** `null` clears it. */
  namespace?: string | null;
  public?: boolean;
  date?: string | null;
  /** `null` makes the image permanent where the account allows. */
  ttl?: number | string | null;
  metadata?: Record<string, string>;
  description?: string | null;
}

export interface BulkItemError {
  id: string;
  error: string;
  message: string;
}

export interface BulkUpdateResult {
  data: Media[];
  errors: BulkItemError[];
}

export interface Deleted {
  id: string;
  deleted: true;
}

export interface BulkDeleteResult {
  data: Deleted[];
  errors: BulkItemError[];
}

/** `GET /v1/usage`. */
export interface Usage {
  plan: string;
  verified: boolean;
  uploads: { used: number; limit: number; resets_at: number };
  storage: { used_bytes: number; limit_bytes: number };
  keys: { active: number; limit: number | null };
  credits: { paid_available: number; paid_reserved: number; promotional: number };
}

/** Delivery parameters of a `src` URL (§2.6). */
export interface RenditionOptions {
  size?: 's' | 'm' | 'l' | 'social';
  w?: number;
  h?: number;
  fit?: 'scale-down' | 'contain' | 'cover' | 'crop' | 'pad';
  /** 1–100. */
  q?: number;
  /** Output format: becomes the URL's extension. */
  format?: 'jpg' | 'jpeg' | 'png' | 'webp' | 'avif' | 'gif';
}

// ---- Enhancement (/api/v1) ----

export type PresetId =
  | 'single_product_white_background'
  | 'marketplace_clean_catalog'
  | 'clean_catalog_group';
export type PreservationLevel = 'strict' | 'balanced' | 'creative';
export type EnhancementStatus = 'queued' | 'processing' | 'completed' | 'partially_completed' | 'failed';
export type ItemStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface Preset {
  id: PresetId | (string & {});
  name: string;
  description: string;
}

export interface PresetList {
  presets: Preset[];
  request_id: string;
}

/** `POST /api/v1/product-image-enhancements` body (§3.2). */
export interface CreateEnhancementInput {
  /** 1–20 images. */
  images: { source_url: string; external_id?: string }[];
  preset?: PresetId | (string & {});
  preservation_level?: PreservationLevel;
  instructions?: string;
  webhook_url?: string;
}

export interface CreateEnhancementAnswer {
  enhancement: {
    id: string;
    status: EnhancementStatus;
    total_items: number;
    credits_reserved: number;
    sandbox: boolean;
  };
  remaining_paid_credits: number;
  request_id: string;
}

/** The answer, plus what the client knows about the call (camelCase: not on the wire). */
export interface CreatedEnhancement extends CreateEnhancementAnswer {
  /** The key sent (generated unless given): pass it again to replay instead of creating a second batch. */
  idempotencyKey: string;
  /** The server answered a stored first response (`Idempotent-Replayed: true`). */
  replayed: boolean;
}

export interface ItemWarning {
  code: string;
  message: string;
}

export interface EnhancementItem {
  id: string;
  external_id: string | null;
  source_url: string;
  status: ItemStatus;
  result_url: string | null;
  thumbnail_url: string | null;
  error_code: string | null;
  error_message: string | null;
  credits_reserved: number;
  credits_used: number;
  /** Lightbox extension. */
  warnings: ItemWarning[];
}

export interface EnhancementSummary {
  id: string;
  status: EnhancementStatus;
  preset: string;
  preservation_level: string;
  total_items: number;
  completed_items: number;
  failed_items: number;
  /** Lightbox extension. */
  items_with_warnings: number;
  credits_reserved: number;
  credits_used: number;
  sandbox: boolean;
  created_at: string;
  completed_at: string | null;
}

export interface Enhancement extends EnhancementSummary {
  items: EnhancementItem[];
}

export interface EnhancementAnswer {
  enhancement: Enhancement;
  request_id: string;
}

export interface EnhancementListQuery {
  /** 1–100, default 20. */
  limit?: number;
  cursor?: string;
  status?: EnhancementStatus;
}

export interface EnhancementPage {
  enhancements: EnhancementSummary[];
  next_cursor: string | null;
  request_id: string;
}

/** A webhook body (§3.5). */
export interface WebhookEvent {
  id: string;
  type:
    | 'enhancement.item.completed'
    | 'enhancement.item.failed'
    | 'enhancement.completed'
    | 'enhancement.partially_completed'
    | 'enhancement.failed';
  created_at: string;
  request_id: string;
  data: { enhancement: EnhancementSummary; item?: EnhancementItem };
}

export const TERMINAL_STATUSES: readonly EnhancementStatus[] = ['completed', 'partially_completed', 'failed'];
