import type { PreservationLevel } from '../imaging/enhance/presets.ts';
/**
 * Table types shared by both dialects. Portable choices: ids are text, instants are integer Unix milliseconds,
 * flags are integers 0/1 and JSON is text — so the same migrations and queries run on SQLite and PostgreSQL.
 */
export interface AccountsTable {
  id: string;
  email: string;
  email_verified: number;
  plan: string;
  registration_policy: 'open' | 'approval' | 'closed';
  suspended: number;
  payment_risk: number;
  paid_available: number;
  paid_reserved: number;
  lifetime_purchased: number;
  promotional: number;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  name: string;
  environment: 'live' | 'test';
  status: 'active' | 'inactive' | 'pending_approval' | 'revoked';
  key_hash: string;
  /** First characters of the key, for humans telling keys apart; never enough to use it. */
  hint: string;
  expires_at: number | null;
  last_used_at: number | null;
  created_at: number;
}

export interface LedgerEntriesTable {
  id: string;
  account_id: string;
  type: 'grant' | 'reserve' | 'consume' | 'release';
  kind: 'purchased' | 'promotional';
  amount: number;
  balance_after: number;
  enhancement_id: string | null;
  note: string | null;
  created_at: number;
}

export interface OutboxTable {
  id: string;
  to_email: string;
  subject: string;
  body: string;
  links: string;
  created_at: number;
  sent_at: number | null;
}

export interface MediaTable {
  id: string;
  account_id: string | null;
  environment: 'live' | 'test';
  token: string;
  name: string;
  format: string;
  width: number;
  height: number;
  frames: number;
  filesize: number;
  blob_key: string;
  namespace: string | null;
  /** JSON array, kept beside `media_tags` so a row renders without a join. */
  tags: string;
  public: number;
  date: string | null;
  metadata: string;
  expiry_reason: 'ttl' | 'unverified' | 'anonymous' | null;
  expires_at: number | null;
  client_ip: string | null;
  created_at: number;
  updated_at: number;
  /** Pyramid levels built for delivery (imaging/pyramid.ts): 0 not yet, -1 none for this source, n > 0 built. */
  levels: number;
}

/** One row per tag of a media, with the media's account, environment and age: a tag's page is one index range. */
export interface MediaTagsTable {
  media_id: string;
  tag: string;
  account_id: string | null;
  environment: 'live' | 'test';
  created_at: number;
}

/** Per account: bytes and count of the media it holds, kept by every insert and delete (media-repo.ts). */
export interface MediaTotalsTable {
  account_id: string;
  bytes: number;
  media_count: number;
  /** Bumped by every change, so reconciliation can tell that the counter stood still while it counted. */
  version: number;
}

export interface UploadCountsTable {
  account_id: string;
  month: string;
  count: number;
}

export interface BlobGarbageTable {
  blob_key: string;
  due_at: number;
}

export type EnhancementStatus = 'queued' | 'processing' | 'completed' | 'partially_completed' | 'failed';
export type ItemStatus = 'queued' | 'processing' | 'completed' | 'failed';

export interface EnhancementsTable {
  id: string;
  account_id: string;
  key_id: string;
  environment: 'live' | 'test';
  status: EnhancementStatus;
  preset: string;
  preservation_level: PreservationLevel;
  instructions: string | null;
  webhook_url: string | null;
  signing_key_hash: string;
  total_items: number;
  completed_items: number;
  failed_items: number;
  /** Completed items with at least one warning (migration 0008). */
  items_with_warnings: number;
  credits_reserved: number;
  credits_used: number;
  sandbox: number;
  request_id: string;
  seq: string;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export interface EnhancementItemsTable {
  id: string;
  enhancement_id: string;
  position: number;
  external_id: string | null;
  source_url: string;
  status: ItemStatus;
  result_media_id: string | null;
  thumbnail_media_id: string | null;
  error_code: string | null;
  error_message: string | null;
  provider: string | null;
  credits_reserved: number;
  credits_used: number;
  attempts: number;
  created_at: number;
  updated_at: number;
  /** JSON `[{code, message}]` (migration 0008); `[]` unless the item completed with warnings. */
  warnings: string;
}

export interface IdempotencyRecordsTable {
  account_id: string;
  environment: 'live' | 'test';
  idempotency_key: string;
  body_hash: string;
  response_status: number;
  response_body: string;
  created_at: number;
  expires_at: number;
}

export interface Database {
  enhancements: EnhancementsTable;
  enhancement_items: EnhancementItemsTable;
  idempotency_records: IdempotencyRecordsTable;
  media: MediaTable;
  media_tags: MediaTagsTable;
  media_totals: MediaTotalsTable;
  upload_counts: UploadCountsTable;
  blob_garbage: BlobGarbageTable;
  accounts: AccountsTable;
  api_keys: ApiKeysTable;
  ledger_entries: LedgerEntriesTable;
  outbox: OutboxTable;
  jobs: JobsTable;
  webhook_events: WebhookEventsTable;
  webhook_attempts: WebhookAttemptsTable;
  rendition_cache: RenditionCacheTable;
  rendition_counts: RenditionCountsTable;
  rendition_totals: RenditionTotalsTable;
  web_sign_in_tokens: WebSignInTokensTable;
  web_sessions: WebSessionsTable;
}

export interface WebhookEventsTable {
  id: string;
  account_id: string;
  enhancement_id: string;
  type: string;
  endpoint_url: string;
  payload: string;
  signing_key_hash: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number | null;
  sending_until: number | null;
  delivered_at: number | null;
  created_at: number;
}

export interface WebhookAttemptsTable {
  id: string;
  event_id: string;
  attempt: number;
  outcome: 'delivered' | 'http_error' | 'blocked' | 'timeout' | 'unreachable';
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
  created_at: number;
}

export interface JobsTable {
  id: string;
  name: string;
  /** JSON. */
  payload: string;
  /** Finished jobs are deleted; dead ones stay for inspection. */
  status: 'queued' | 'running' | 'dead';
  dedupe_key: string | null;
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_until: number | null;
  lease_token: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** One row per cached rendition blob (`renditions/<id>/<key>`); `bytes` is 0 while it is being computed. */
export interface RenditionCacheTable {
  blob_key: string;
  media_id: string;
  /** 1: a parameterised rendition, counted against LIGHTBOX_RENDITIONS_PER_MEDIA; 0: a preset or the original. */
  counted: number;
  format: string;
  width: number;
  height: number;
  bytes: number;
  last_used_at: number;
}

/** Counted renditions per media. */
export interface RenditionCountsTable {
  media_id: string;
  count: number;
}

/** One row (`id` 1): the bytes of every completed rendition. */
export interface RenditionTotalsTable {
  id: number;
  bytes: number;
}

/** A one-time sign-in link (docs/web.md); only the hash of its token is kept. */
export interface WebSignInTokensTable {
  token_hash: string;
  account_id: string;
  next_path: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** A server-side web session; the cookie holds the id, the row only its hash. */
export interface WebSessionsTable {
  id_hash: string;
  /** `owner`: an account owner signed in by mail; `operator`: signed in with the admin token (no account). */
  kind: 'owner' | 'operator';
  account_id: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}
