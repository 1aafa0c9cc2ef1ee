import type { Actor } from '../accounts/authenticate.ts';
import { AppError } from '../errors/app-error.ts';
import type { EnhancementStatus } from '../store/database.ts';
import type { Db } from '../store/store.ts';
import { enhancementSummary, itemView } from './enhancement-view.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** `GET /api/v1/product-image-enhancements/{id}` (docs/api.md §3.3). */
export async function getEnhancement(deps: { db: Db; srcBase: string }, principal: Actor, id: string) {
  if (!UUID.test(id)) throw new AppError('invalid_enhancement_id');
  const enhancement = await deps.db
    .selectFrom('enhancements')
    .selectAll()
    .where('id', '=', id.toLowerCase())
    .where('account_id', '=', principal.account.id)
    .executeTakeFirst();
  if (!enhancement) throw new AppError('enhancement_not_found');
  if (enhancement.environment !== principal.key.environment)
    throw new AppError('api_key_environment_mismatch');
  const items = await deps.db
    .selectFrom('enhancement_items as i')
    .leftJoin('media as r', 'r.id', 'i.result_media_id')
    .leftJoin('media as t', 't.id', 'i.thumbnail_media_id')
    .selectAll('i')
    .select(['r.token as result_token', 't.token as thumbnail_token'])
    .where('i.enhancement_id', '=', enhancement.id)
    .orderBy('i.position')
    .execute();
  return {
    enhancement: {
      ...enhancementSummary(enhancement),
      items: items.map((item) => itemView(deps.srcBase, item)),
    },
  };
}

/** `GET /api/v1/product-image-enhancements` — newest first, keyset cursor, summaries without items. */
export async function listEnhancements(
  deps: { db: Db },
  principal: Actor,
  query: { limit: number; cursor?: string; status?: EnhancementStatus },
) {
  let q = deps.db
    .selectFrom('enhancements')
    .selectAll()
    .where('account_id', '=', principal.account.id)
    .where('environment', '=', principal.key.environment)
    .orderBy('seq', 'desc')
    .limit(query.limit + 1);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.cursor) {
    const seq = Buffer.from(query.cursor, 'base64url').toString();
    if (!/^enh_[0-9a-z]+$/.test(seq))
      throw new AppError('invalid_payload', { message: 'cursor is not valid.' });
    q = q.where('seq', '<', seq);
  }
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    enhancements: page.map(enhancementSummary),
    next_cursor: rows.length > query.limit && last ? Buffer.from(last.seq).toString('base64url') : null,
  };
}

/**
 * The newest failed items of every account, for the operator's status page: which item, of which enhancement and
 * account, failed with which item error code, and when.
 */
export async function recentFailedItems(db: Db, limit: number) {
  const rows = await db
    .selectFrom('enhancement_items as i')
    .innerJoin('enhancements as e', 'e.id', 'i.enhancement_id')
    .select([
      'i.id',
      'i.enhancement_id',
      'i.error_code',
      'i.error_message',
      'i.updated_at',
      'e.account_id',
      'e.sandbox',
    ])
    .where('i.status', '=', 'failed')
    .orderBy('i.updated_at', 'desc')
    .orderBy('i.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    enhancement_id: r.enhancement_id,
    account_id: r.account_id,
    sandbox: Number(r.sandbox) === 1,
    error_code: r.error_code,
    error_message: r.error_message,
    failed_at: Number(r.updated_at),
  }));
}
