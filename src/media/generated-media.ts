import type { BlobStore } from '../blobs/blobs.ts';
import type { Db, Tx } from '../store/store.ts';
import {
  announceBlob,
  claimBlob,
  insertMediaRow,
  type MediaRow,
  newMediaId,
  newMediaToken,
  originalKey,
} from './media-repo.ts';

export interface GeneratedImage {
  data: Buffer;
  format: 'jpeg' | 'png' | 'webp';
  width: number;
  height: number;
}

/**
 * Step 1 of storing server-made images (enhancement results): write the blob, announced first so a crash before
 * step 2 leaves only garbage the sweeper removes. Returns the row to insert in step 2.
 */
export async function writeGeneratedBlob(
  deps: { store: { db: Db }; blobs: BlobStore },
  owner: { accountId: string; environment: 'live' | 'test' },
  image: GeneratedImage,
  fields: { name: string; tags: string[]; metadata: Record<string, string> },
): Promise<MediaRow> {
  const id = newMediaId();
  const blobKey = originalKey(id);
  await announceBlob(deps.store.db, blobKey);
  await deps.blobs.put(blobKey, image.data);
  const now = Date.now();
  return {
    id,
    account_id: owner.accountId,
    environment: owner.environment,
    token: newMediaToken(),
    name: fields.name,
    format: image.format,
    width: image.width,
    height: image.height,
    frames: 1,
    filesize: image.data.length,
    blob_key: blobKey,
    namespace: null,
    tags: JSON.stringify(fields.tags),
    // Reachable through the capability `src` only; not listed as public media.
    public: 0,
    date: null,
    metadata: JSON.stringify(fields.metadata),
    expiry_reason: null,
    expires_at: null,
    client_ip: null,
    created_at: now,
    updated_at: now,
    levels: 0,
  };
}

/** Step 2, inside the caller's transaction: the row takes ownership of the blob. */
export async function recordGeneratedMedia(tx: Tx, row: MediaRow): Promise<void> {
  await insertMediaRow(tx, row);
  await claimBlob(tx, row.blob_key);
}
