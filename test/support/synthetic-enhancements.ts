// Synthetic enhancement batches shaped like real use of the enhancement API, bulk-loaded beside the synthetic media
// (synthetic-media.ts) for the query-plan test and bench/scale.ts. Rows are what `createEnhancement` and
// `finishItem` leave behind once a batch is done, so the list and GET read them as they read real ones.

import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_PRESET } from '../../src/enhancements/presets.ts';
import { PRESET_IDS, type PreservationLevel, type PresetId } from '../../src/imaging/enhance/presets.ts';
import { seededRandom } from '../../src/lib/seeded-random.ts';
import { DAY_MS } from '../../src/lib/time.ts';
import type {
  EnhancementItemsTable,
  EnhancementStatus,
  EnhancementsTable,
} from '../../src/store/database.ts';
import type { Store } from '../../src/store/store.ts';

const SPAN_MS = 3 * 365 * DAY_MS;
/** One batch per this many media: an average batch of ~9 items makes ~2 media per completed item. */
const MEDIA_PER_BATCH = 20;
/** Rows per multi-row INSERT: ≤ 24 columns each stays under both dialects' parameter limits. */
const INSERT_CHUNK = 1000;
/** The default preset most often, as clients leave it out. */
const PRESETS: readonly PresetId[] = [DEFAULT_PRESET, DEFAULT_PRESET, ...PRESET_IDS];
const PRESERVATION_LEVELS: readonly PreservationLevel[] = ['strict', 'strict', 'balanced'];
const FAILURES = [
  ['source_url_unreachable', 'The source URL answered 404.'],
  ['download_timeout', 'The source took longer than 30 s to send the image.'],
  ['unsupported_file_type', 'The source is not a JPEG, PNG or WebP image.'],
  ['provider_error', 'No product could be separated from the background.'],
] as const;
const WARNING = JSON.stringify([
  { code: 'upscaled', message: 'The product was enlarged 2.4× to fill the frame.' },
]);

/**
 * The `seq` `sortableId('enh')` would have given a batch created at `createdAt` (base36 time, counter, random):
 * the list's keyset order is the creation order, as for real batches.
 */
function seqAt(createdAt: number, random: () => number): string {
  let tail = '';
  for (let i = 0; i < 8; i++) tail += Math.floor(random() * 36).toString(36);
  return `enh_${createdAt.toString(36).padStart(9, '0')}000${tail}`;
}

/**
 * Batch `index` of `count`: created over three years (oldest first), 1–20 items (small batches more common), a
 * tenth in the test environment (sandbox, no credits); done, as nearly all batches of a library are: mostly
 * completed, some partially completed or failed. Completed items point at media of the library (`mediaIds`, near
 * the batch's time) as result and thumbnail, as `finishItem` records them.
 */
function syntheticBatch(
  accountId: string,
  keyId: string,
  index: number,
  count: number,
  mediaIds: readonly string[],
  random: () => number,
  now: number,
  creditsPerImage: number,
): { enhancement: EnhancementsTable; items: EnhancementItemsTable[] } {
  const id = randomUUID();
  const createdAt = now - SPAN_MS + Math.floor(((index + random()) / count) * SPAN_MS);
  const sandbox = random() < 0.1;
  const total = 1 + Math.floor(random() ** 1.5 * 20);
  const roll = random();
  // 85 % completed, 10 % partially completed (some items failed), 5 % failed.
  const failedItems =
    roll < 0.85 ? 0 : roll < 0.95 && total > 1 ? 1 + Math.floor(random() * (total - 1)) : total;
  const completedItems = total - failedItems;
  const status: EnhancementStatus =
    failedItems === 0 ? 'completed' : completedItems === 0 ? 'failed' : 'partially_completed';
  const perItem = sandbox ? 0 : creditsPerImage;
  const finishedAt = createdAt + 5_000 + Math.floor(random() * total * 4_000);
  let mediaAt = Math.floor(((index + 0.5) / count) * mediaIds.length);
  const items: EnhancementItemsTable[] = [];
  let warned = 0;
  let failing = failedItems;
  for (let position = 0; position < total; position++) {
    // Exactly `failedItems` fail, spread over the batch (selection sampling), not all at its end.
    const ok = random() >= failing / (total - position);
    if (!ok) failing--;
    const updatedAt =
      createdAt + 3_000 + Math.floor(((position + 1) / total) * (finishedAt - createdAt - 3_000));
    const item: EnhancementItemsTable = {
      id: randomUUID(),
      enhancement_id: id,
      position,
      external_id: random() < 0.6 ? `sku-${index}-${position}` : null,
      source_url: `https://shop.example.com/products/${index}/${position}.jpg`,
      status: ok ? 'completed' : 'failed',
      result_media_id: null,
      thumbnail_media_id: null,
      error_code: null,
      error_message: null,
      provider: null,
      credits_reserved: perItem,
      credits_used: 0,
      attempts: 1,
      created_at: createdAt,
      updated_at: updatedAt,
      warnings: '[]',
    };
    if (ok) {
      item.result_media_id = mediaIds[mediaAt++ % mediaIds.length] ?? null;
      item.thumbnail_media_id = mediaIds[mediaAt++ % mediaIds.length] ?? null;
      item.provider = 'classical';
      item.credits_used = perItem;
      if (random() < 0.1) {
        item.warnings = WARNING;
        warned++;
      }
    } else {
      const [code, message] = FAILURES[Math.floor(random() * FAILURES.length)] as (typeof FAILURES)[number];
      item.error_code = code;
      item.error_message = message;
    }
    items.push(item);
  }
  return {
    enhancement: {
      id,
      account_id: accountId,
      key_id: keyId,
      environment: sandbox ? 'test' : 'live',
      status,
      preset: PRESETS[Math.floor(random() * PRESETS.length)] ?? DEFAULT_PRESET,
      preservation_level: PRESERVATION_LEVELS[Math.floor(random() * PRESERVATION_LEVELS.length)] ?? 'strict',
      instructions: null,
      webhook_url: null,
      signing_key_hash: createHash('sha256').update(keyId).digest('hex'),
      total_items: total,
      completed_items: completedItems,
      failed_items: failedItems,
      items_with_warnings: warned,
      credits_reserved: total * perItem,
      credits_used: completedItems * perItem,
      sandbox: sandbox ? 1 : 0,
      request_id: `synthetic-${index}`,
      seq: seqAt(createdAt, random),
      created_at: createdAt,
      updated_at: finishedAt,
      completed_at: finishedAt,
    },
    items,
  };
}

/**
 * Loads one enhancement batch per 20 of `mediaIds` (the account's media, oldest first, as `loadSyntheticMedia`
 * returns them) into the account, `perTransaction` batches per transaction (multi-row INSERTs inside). Credits are
 * not booked: every batch is done, so none are held, and neither read path looks at the ledger. Returns the
 * batches' ids in creation order, oldest first.
 */
export async function loadSyntheticEnhancements(
  store: Store,
  accountId: string,
  mediaIds: readonly string[],
  options: {
    seed?: number;
    now?: number;
    keyId?: string;
    creditsPerImage?: number;
    perTransaction?: number;
  } = {},
): Promise<string[]> {
  const random = seededRandom(options.seed ?? 1);
  const now = options.now ?? Date.now();
  const keyId = options.keyId ?? 'synthetic-key';
  const perTransaction = options.perTransaction ?? 500;
  const count = Math.max(1, Math.round(mediaIds.length / MEDIA_PER_BATCH));
  const ids: string[] = [];
  for (let start = 0; start < count; start += perTransaction) {
    const batches: EnhancementsTable[] = [];
    const items: EnhancementItemsTable[] = [];
    for (let i = start; i < Math.min(count, start + perTransaction); i++) {
      const batch = syntheticBatch(
        accountId,
        keyId,
        i,
        count,
        mediaIds,
        random,
        now,
        options.creditsPerImage ?? 5,
      );
      batches.push(batch.enhancement);
      items.push(...batch.items);
    }
    await store.transaction(async (tx) => {
      for (let i = 0; i < batches.length; i += INSERT_CHUNK)
        await tx
          .insertInto('enhancements')
          .values(batches.slice(i, i + INSERT_CHUNK))
          .execute();
      for (let i = 0; i < items.length; i += INSERT_CHUNK)
        await tx
          .insertInto('enhancement_items')
          .values(items.slice(i, i + INSERT_CHUNK))
          .execute();
    });
    for (const batch of batches) ids.push(batch.id);
  }
  return ids;
}
