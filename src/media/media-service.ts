import type { Actor } from '../accounts/authenticate.ts';
import type { BlobStore } from '../blobs/blobs.ts';
import type { Config } from '../config/config.ts';
import { AppError } from '../errors/app-error.ts';
import type { Log } from '../lib/log.ts';
import type { Store } from '../store/store.ts';
import { collectGarbage } from './blob-garbage.ts';
import type { MediaChanges } from './media-changes.ts';
import { MAX_METADATA_FIELDS, parseMediaFields } from './media-fields.ts';
import { expired, type ListQuery, listMediaRows, ownedMedia, splitList } from './media-queries.ts';
import { deleteMediaRow, findMedia, type MediaRow, replaceTags } from './media-repo.ts';
import { mediaView } from './media-view.ts';
import { patchedExpiry } from './retention.ts';

export interface MediaDeps {
  config: Pick<Config, 'publicUrl' | 'srcBase' | 'anonRetentionDays' | 'unverifiedRetentionDays'>;
  store: Store;
  blobs: BlobStore;
  logger: Log;
  mediaChanges: MediaChanges;
}

type TagMode = 'replace' | 'add' | 'remove';

export const media = {
  async list(deps: MediaDeps, principal: Actor, query: ListQuery) {
    const { rows, nextCursor } = await listMediaRows(deps.store.db, principal, query);
    const page = { next_cursor: nextCursor, has_more: nextCursor !== null };
    // `pagination` is the contract's (docs/api.md); the same two fields at the top level are what earlier img.pro clients page with.
    return { data: rows.map((row) => mediaView(deps.config, row)), pagination: page, ...page };
  },

  /**
   * Public media for anyone; private media only for its owner in the same environment (docs/api.md §2.4). A key
   * reads only its own environment's resources (docs/api.md §1): the other environment's media is 404 to it, even
   * public media.
   */
  async get(deps: MediaDeps, principal: Actor | undefined, id: string) {
    const row = await findMedia(deps.store.db, id);
    const otherEnvironment = row && principal && row.environment !== principal.key.environment;
    const owner = row && principal && !otherEnvironment && row.account_id === principal.account.id;
    if (!row || expired(row) || otherEnvironment || (!row.public && !owner))
      throw new AppError('not_found', { message: 'Media not found' });
    return mediaView(deps.config, row);
  },

  async update(deps: MediaDeps, principal: Actor, id: string, body: unknown) {
    const row = await ownedMedia(deps.store.db, principal, id);
    return mediaView(deps.config, await applyUpdate(deps, principal, row, body));
  },

  async remove(deps: MediaDeps, principal: Actor, id: string) {
    const row = await ownedMedia(deps.store.db, principal, id);
    await removeRow(deps, row);
    return { id, deleted: true as const };
  },

  /** `PATCH /v1/media?ids=`: each item on its own; one failure does not stop the others. */
  async updateMany(deps: MediaDeps, principal: Actor, idsParam: string | undefined, body: unknown) {
    const ids = batchIds(idsParam);
    // Validate the body once up front: a bad body is the caller's error, not 100 item errors.
    parseMediaFields(asObject(body), { mode: 'update' });
    return perItem(ids, async (id) =>
      mediaView(
        deps.config,
        await applyUpdate(deps, principal, await ownedMedia(deps.store.db, principal, id), body),
      ),
    );
  },

  async removeMany(deps: MediaDeps, principal: Actor, idsParam: string | undefined) {
    return perItem(batchIds(idsParam), async (id) => {
      await removeRow(deps, await ownedMedia(deps.store.db, principal, id));
      return { id, deleted: true as const };
    });
  },
};

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('invalid_payload', { errors: { body: ['Must be a JSON object'] } });
  }
  return body as Record<string, unknown>;
}

function batchIds(param: string | undefined): string[] {
  const ids = [...new Set(splitList(param))];
  if (ids.length === 0)
    throw new AppError('invalid_payload', { errors: { ids: ['At least one id is required'] } });
  if (ids.length > 100) throw new AppError('invalid_payload', { errors: { ids: ['At most 100 ids'] } });
  return ids;
}

async function perItem<T>(ids: string[], fn: (id: string) => Promise<T>) {
  const data: T[] = [];
  const errors: { id: string; error: string; message: string }[] = [];
  for (const id of ids) {
    try {
      data.push(await fn(id));
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') {
        errors.push({ id, error: 'not_found', message: 'Media not found' });
      } else {
        const code = error instanceof AppError ? error.code : 'server_error';
        errors.push({
          id,
          error: code === 'invalid_payload' ? 'validation_error' : code,
          message: error instanceof AppError ? error.message : 'Internal server error',
        });
      }
    }
  }
  return { data, errors };
}

async function applyUpdate(
  deps: MediaDeps,
  principal: Actor,
  row: MediaRow,
  body: unknown,
): Promise<MediaRow> {
  const raw = asObject(body);
  const fields = parseMediaFields(raw, { mode: 'update' });
  const tagMode: TagMode = raw.tag_mode === undefined ? 'replace' : (raw.tag_mode as TagMode);
  if (!['replace', 'add', 'remove'].includes(tagMode)) {
    throw new AppError('invalid_payload', { errors: { tag_mode: ['Must be replace, add or remove'] } });
  }
  const now = Date.now();
  const set: Partial<MediaRow> = { updated_at: now };
  if (fields.name !== undefined) set.name = fields.name;
  if (fields.namespace !== undefined) set.namespace = fields.namespace;
  if (fields.public !== undefined) set.public = fields.public ? 1 : 0;
  if (fields.date !== undefined) set.date = fields.date;
  if (fields.metadata !== undefined || fields.description !== undefined) {
    // `metadata` replaces the whole set; `description` alone changes only that field of it.
    const metadata = { ...(fields.metadata ?? (JSON.parse(row.metadata) as Record<string, string>)) };
    if (fields.description === null) delete metadata.description;
    else if (fields.description !== undefined) metadata.description = fields.description;
    if (Object.keys(metadata).length > MAX_METADATA_FIELDS) {
      throw new AppError('invalid_payload', {
        errors: { metadata: [`At most ${MAX_METADATA_FIELDS} metadata fields`] },
      });
    }
    set.metadata = JSON.stringify(metadata);
  }
  if (fields.ttl !== undefined)
    Object.assign(set, patchedExpiry(deps.config, principal, row, fields.ttl, now));
  let tags: string[] | undefined;
  if (fields.tags !== undefined) {
    const current = JSON.parse(row.tags) as string[];
    tags =
      tagMode === 'add'
        ? [...new Set([...current, ...fields.tags])]
        : tagMode === 'remove'
          ? current.filter((t) => !fields.tags?.includes(t))
          : fields.tags;
    if (tags.length > 10) throw new AppError('invalid_payload', { errors: { tags: ['At most 10 tags'] } });
    set.tags = JSON.stringify(tags);
  }
  try {
    await deps.store.transaction(async (tx) => {
      await tx.updateTable('media').set(set).where('id', '=', row.id).execute();
      if (tags) await replaceTags(tx, row, tags);
    });
  } catch (error) {
    deps.logger.error({ err: error, media_id: row.id }, 'media update failed');
    throw new AppError('update_failed');
  }
  deps.mediaChanges.notify(row.id);
  return { ...row, ...set };
}

/** Row and garbage markers in one transaction, then the blobs; what fails now the sweeper finishes. */
async function removeRow(deps: MediaDeps, row: MediaRow): Promise<void> {
  try {
    await deps.store.transaction((tx) => deleteMediaRow(tx, row));
  } catch (error) {
    deps.logger.error({ err: error, media_id: row.id }, 'media delete failed');
    throw new AppError('delete_failed');
  }
  deps.mediaChanges.notify(row.id);
  await collectGarbage(deps, [row.blob_key, `renditions/${row.id}/`]);
}
