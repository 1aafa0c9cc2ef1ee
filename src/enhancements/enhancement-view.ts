import { toIso } from '../lib/time.ts';
import { srcUrl } from '../media/media-urls.ts';
import type {
  EnhancementItemsTable,
  EnhancementStatus,
  EnhancementsTable,
  ItemStatus,
} from '../store/database.ts';

/** A batch without its items, as docs/api.md §3.3 shows it (schema: `src/http/schemas/enhancement.ts`). */
export interface EnhancementSummaryView {
  id: string;
  status: EnhancementStatus;
  preset: string;
  preservation_level: string;
  total_items: number;
  completed_items: number;
  failed_items: number;
  /** Lightbox extension: completed items that carry at least one warning. */
  items_with_warnings: number;
  credits_reserved: number;
  credits_used: number;
  sandbox: boolean;
  created_at: string;
  completed_at: string | null;
}

export interface ItemView {
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
  /** Lightbox extension; `[]` when there is nothing to say. */
  warnings: ItemWarning[];
}

export interface ItemWithMedia extends EnhancementItemsTable {
  result_token: string | null;
  thumbnail_token: string | null;
}

export function enhancementSummary(e: EnhancementsTable): EnhancementSummaryView {
  return {
    id: e.id,
    status: e.status,
    preset: e.preset,
    preservation_level: e.preservation_level,
    total_items: e.total_items,
    completed_items: e.completed_items,
    failed_items: e.failed_items,
    items_with_warnings: e.items_with_warnings,
    credits_reserved: e.credits_reserved,
    credits_used: e.credits_used,
    sandbox: e.sandbox === 1,
    created_at: new Date(e.created_at).toISOString(),
    completed_at: toIso(e.completed_at),
  };
}

export function itemView(srcBase: string, item: ItemWithMedia): ItemView {
  return {
    id: item.id,
    external_id: item.external_id,
    source_url: item.source_url,
    status: item.status,
    result_url:
      item.result_media_id && item.result_token
        ? srcUrl(srcBase, { id: item.result_media_id, token: item.result_token }, 'jpg')
        : null,
    thumbnail_url:
      item.thumbnail_media_id && item.thumbnail_token
        ? srcUrl(srcBase, { id: item.thumbnail_media_id, token: item.thumbnail_token }, 'jpg')
        : null,
    error_code: item.error_code,
    error_message: item.error_message,
    credits_reserved: item.credits_reserved,
    credits_used: item.credits_used,
    warnings: parseItemWarnings(item.warnings),
  };
}

export interface ItemWarning {
  readonly code: string;
  readonly message: string;
}

/** The stored column as written by `finishItem`; anything else (a hand-edited row) reads as no warnings. */
function parseItemWarnings(stored: string): ItemWarning[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((w: unknown) =>
    typeof w === 'object' && w !== null && 'code' in w && 'message' in w
      ? [{ code: String(w.code), message: String(w.message) }]
      : [],
  );
}

/** What `finishItem` stores: only the two published fields, in the pipeline's order. */
export function storedItemWarnings(warnings: readonly ItemWarning[]): string {
  return JSON.stringify(warnings.map(({ code, message }) => ({ code, message })));
}
