// Synthetic media shaped like real uploads, bulk-loaded through the store's own insert (media-repo.ts), for the
// query-plan test and bench/scale.ts.

import { seededRandom } from '../../src/lib/seeded-random.ts';
import { DAY_MS } from '../../src/lib/time.ts';
import { insertMediaRows, type MediaRow, newMediaId, newMediaToken } from '../../src/media/media-repo.ts';
import type { Store } from '../../src/store/store.ts';

const SYNTHETIC_NAMESPACES = 50;
const SYNTHETIC_TAGS = 200;
const SPAN_MS = 3 * 365 * DAY_MS;

export const syntheticTag = (n: number): string => `tag-${n}`;
export const syntheticNamespace = (n: number): string => `ns-${n}`;

/**
 * Media `index` of `count` in one account's library: created over three years (oldest first), in one of 50
 * namespaces (a tenth in none), 0–5 tags of 200 (the low-numbered ones more common, as real tags are), 20 %
 * private, sizes from 40 kB to ~5 MB.
 */
function syntheticMedia(
  accountId: string,
  index: number,
  count: number,
  random: () => number,
  now: number,
): MediaRow {
  const id = newMediaId();
  const createdAt = now - SPAN_MS + Math.floor(((index + random()) / count) * SPAN_MS);
  const tags = new Set<string>();
  const tagCount = Math.floor(random() * 6);
  while (tags.size < tagCount) tags.add(syntheticTag(Math.floor(random() ** 2 * SYNTHETIC_TAGS)));
  const namespace = random() < 0.1 ? null : syntheticNamespace(Math.floor(random() * SYNTHETIC_NAMESPACES));
  return {
    id,
    account_id: accountId,
    environment: 'live',
    token: newMediaToken(),
    name: `photo-${index}.jpg`,
    format: 'jpeg',
    width: 1200 + Math.floor(random() * 3000),
    height: 900 + Math.floor(random() * 2000),
    frames: 1,
    filesize: 40_000 + Math.floor(random() ** 3 * 5_000_000),
    blob_key: `originals/${id}`,
    namespace,
    tags: JSON.stringify([...tags]),
    public: random() < 0.2 ? 0 : 1,
    date: null,
    metadata: '{}',
    expiry_reason: null,
    expires_at: null,
    client_ip: null,
    created_at: createdAt,
    updated_at: createdAt,
    levels: -1,
  };
}

/**
 * Loads `count` synthetic media into one account, `perTransaction` rows per transaction (multi-row INSERTs inside,
 * see `insertMediaRows`). Returns the rows' ids in creation order, oldest first.
 */
export async function loadSyntheticMedia(
  store: Store,
  accountId: string,
  count: number,
  options: { seed?: number; now?: number; perTransaction?: number; onBatch?: (loaded: number) => void } = {},
): Promise<string[]> {
  const random = seededRandom(options.seed ?? 1);
  const now = options.now ?? Date.now();
  const perTransaction = options.perTransaction ?? 5000;
  const ids: string[] = [];
  for (let start = 0; start < count; start += perTransaction) {
    const rows: MediaRow[] = [];
    for (let i = start; i < Math.min(count, start + perTransaction); i++) {
      rows.push(syntheticMedia(accountId, i, count, random, now));
    }
    await store.transaction((tx) => insertMediaRows(tx, rows));
    for (const row of rows) ids.push(row.id);
    options.onBatch?.(ids.length);
  }
  return ids;
}
