import { sql } from 'kysely';
import type { Actor } from '../accounts/authenticate.ts';
import { AppError } from '../errors/app-error.ts';
import type { Db } from '../store/store.ts';
import type { MediaRow } from './media-repo.ts';

export interface ListQuery {
  limit: number;
  cursor?: string;
  namespace?: string;
  tags?: string;
  tag_mode?: 'any' | 'all';
  ids?: string;
  /** Names containing this text, any case (the dashboard's search; not a parameter of GET /v1/media). */
  name?: string;
}

const encodeCursor = (m: MediaRow) => Buffer.from(`${m.created_at}:${m.id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split(':');
  if (!at || !id || !/^\d+$/.test(at) || !/^[0-9A-Za-z]{8}$/.test(id)) {
    throw new AppError('invalid_payload', { errors: { cursor: ['Invalid cursor'] } });
  }
  return { createdAt: Number(at), id };
}

/** `%text%` for LIKE, with the text's own `%`, `_` and `!` escaped (`!` is the escape character). */
const containsPattern = (text: string): string => `%${text.toLowerCase().replace(/[!%_]/g, '!$&')}%`;

export const splitList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `GET /v1/media`: the caller's media in its key's environment, newest first, keyset-paginated. */
export async function listMediaRows(db: Db, principal: Actor, query: ListQuery) {
  let q = db
    .selectFrom('media')
    .selectAll()
    .where('account_id', '=', principal.account.id)
    .where('environment', '=', principal.key.environment)
    // Expired media is gone for every read, sweeper or not (GET answers 404 for it too).
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', Date.now())]))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (query.namespace) q = q.where('namespace', '=', query.namespace);
  if (query.name) q = q.where(sql<boolean>`lower(name) like ${containsPattern(query.name)} escape '!'`);
  const ids = splitList(query.ids);
  if (ids.length > 100) throw new AppError('invalid_payload', { errors: { ids: ['At most 100 ids'] } });
  if (ids.length > 0) q = q.where('id', 'in', ids);
  const tags = splitList(query.tags).map((t) => t.toLowerCase());
  if (tags.length > 0) {
    if (query.tag_mode === 'all') {
      q = q.where('id', 'in', (eb) =>
        eb
          .selectFrom('media_tags')
          .select('media_id')
          .where('tag', 'in', tags)
          .groupBy('media_id')
          .having((h) => h.fn.count('tag'), '=', tags.length),
      );
    } else {
      q = q.where('id', 'in', (eb) =>
        eb.selectFrom('media_tags').select('media_id').where('tag', 'in', tags),
      );
    }
  }
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', c.createdAt),
        eb.and([eb('created_at', '=', c.createdAt), eb('id', '<', c.id)]),
      ]),
    );
  }
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}

/**
 * Media the caller may manage: its own, in its environment. Anything else is "not found" (hosting hides other
 * accounts' and the other environment's media behind 404).
 */
export async function ownedMedia(db: Db, principal: Actor, id: string): Promise<MediaRow> {
  const row = await db
    .selectFrom('media')
    .selectAll()
    .where('id', '=', id)
    .where('account_id', '=', principal.account.id)
    .executeTakeFirst();
  if (!row || row.environment !== principal.key.environment || expired(row)) {
    throw new AppError('not_found', { message: 'Media not found' });
  }
  return row;
}

export const expired = (row: Pick<MediaRow, 'expires_at'>, now = Date.now()): boolean =>
  row.expires_at !== null && Number(row.expires_at) <= now;
