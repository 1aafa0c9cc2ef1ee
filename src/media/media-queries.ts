import { type SelectQueryBuilder, sql } from 'kysely';
import type { Actor } from '../accounts/authenticate.ts';
import { AppError } from '../errors/app-error.ts';
import type { Database } from '../store/database.ts';
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

/** A media holds at most this many tags (media-fields.ts): an `all` filter naming more distinct tags matches none. */
const MAX_TAGS_PER_MEDIA = 10;
/** Rows of each tag read to tell the rarest where a page starts (`rarestFirst`). */
const DENSITY_SAMPLE = 200;

type Cursor = { createdAt: number; id: string };
type Page = { rows: MediaRow[]; nextCursor: string | null };

/** Filters every listing applies to the media row (`m`): expiry, namespace, name. */
function mediaFilters(query: ListQuery, now: number) {
  return <Q extends SelectQueryBuilder<Database & { m: MediaRow }, 'm', object>>(q: Q): Q => {
    // Expired media is gone for every read, sweeper or not (GET answers 404 for it too).
    let out = q.where((eb) => eb.or([eb('m.expires_at', 'is', null), eb('m.expires_at', '>', now)])) as Q;
    if (query.namespace) out = out.where('m.namespace', '=', query.namespace) as Q;
    if (query.name)
      out = out.where(sql<boolean>`lower(m.name) like ${containsPattern(query.name)} escape '!'`) as Q;
    return out;
  };
}

function toPage(rows: MediaRow[], limit: number): Page {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

const newestFirst = (a: MediaRow, b: MediaRow): number =>
  Number(b.created_at) - Number(a.created_at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * `GET /v1/media`: the caller's media in its key's environment, newest first, keyset-paginated. Each shape of the
 * query is one index range whatever the account holds (docs/query-plans.md): the account's list index (or its
 * namespace index), a tag's range of `media_tags`, or primary-key lookups for `ids=`.
 */
export async function listMediaRows(db: Db, principal: Actor, query: ListQuery): Promise<Page> {
  const ids = [...new Set(splitList(query.ids))];
  if (ids.length > 100) throw new AppError('invalid_payload', { errors: { ids: ['At most 100 ids'] } });
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
  const tags = [...new Set(splitList(query.tags).map((t) => t.toLowerCase()))];
  const scope = { accountId: principal.account.id, environment: principal.key.environment };
  if (ids.length > 0) return listByIds(db, scope, query, ids, tags, cursor);
  if (tags.length === 0) return listAll(db, scope, query, cursor);
  const wanted = query.limit + 1;
  if (query.tag_mode === 'all') {
    if (tags.length > MAX_TAGS_PER_MEDIA) return { rows: [], nextCursor: null };
    const [walked, ...others] = (await rarestFirst(db, scope, tags, cursor)) as [string, ...string[]];
    return toPage(
      await filteredRows(db, query, wanted, cursor, (from) =>
        tagWalk(db, scope, walked, others, wanted, from),
      ),
      query.limit,
    );
  }
  // `any`: each tag's next ids (at most a page and one), merged newest first without repeats; only the merged
  // page's media are read, so the rows read stay one page whatever the number of tags.
  return toPage(
    await filteredRows(db, query, wanted, cursor, async (from) => {
      const ranges = await Promise.all(tags.map((tag) => tagWalk(db, scope, tag, [], wanted, from)));
      const merged = new Map<string, Candidate>();
      for (const candidate of ranges.flat()) merged.set(candidate.media_id, candidate);
      return [...merged.values()].sort(newestKeyFirst).slice(0, wanted);
    }),
    query.limit,
  );
}

interface Scope {
  accountId: string;
  environment: 'live' | 'test';
}

/** No tag filter: a backward range of `media_account_list` (or `media_namespace_page` with a namespace). */
async function listAll(db: Db, scope: Scope, query: ListQuery, cursor: Cursor | undefined): Promise<Page> {
  let q = db
    .selectFrom('media as m')
    .selectAll('m')
    .where('m.account_id', '=', scope.accountId)
    .where('m.environment', '=', scope.environment)
    .orderBy('m.created_at', 'desc')
    .orderBy('m.id', 'desc')
    .limit(query.limit + 1);
  q = mediaFilters(query, Date.now())(q);
  // A row-value bound, which both planners turn into the range's end (an `or` of two comparisons they do not).
  if (cursor)
    q = q.where(({ eb, refTuple, tuple }) =>
      eb(refTuple('m.created_at', 'm.id'), '<', tuple(cursor.createdAt, cursor.id)),
    );
  return toPage(await q.execute(), query.limit);
}

/** A media id from `media_tags_page` with its creation time: the key a tag walk is ordered by. */
interface Candidate {
  media_id: string;
  created_at: number | string;
}

const newestKeyFirst = (a: Candidate, b: Candidate): number =>
  Number(b.created_at) - Number(a.created_at) ||
  (a.media_id < b.media_id ? 1 : a.media_id > b.media_id ? -1 : 0);

/**
 * Tag pages in two steps, so neither planner can join the media before the tag checks: `next` gives the ids of
 * the next candidates after a key (index only, newest first, at most `wanted`; fewer means the ranges ended), then
 * those media are read by primary key with the row filters (expiry, namespace, name). When the filters drop some,
 * the walk goes on from the last candidate.
 */
async function filteredRows(
  db: Db,
  query: ListQuery,
  wanted: number,
  cursor: Cursor | undefined,
  next: (from: Cursor | undefined) => Promise<Candidate[]>,
): Promise<MediaRow[]> {
  const found: MediaRow[] = [];
  let from = cursor;
  for (;;) {
    const candidates = await next(from);
    if (candidates.length > 0) {
      const ids = candidates.map((c) => c.media_id);
      const rows = await mediaFilters(
        query,
        Date.now(),
      )(db.selectFrom('media as m').selectAll('m').where('m.id', 'in', ids)).execute();
      found.push(...rows.sort(newestFirst));
    }
    const last = candidates.at(-1);
    if (found.length >= wanted || candidates.length < wanted || !last) return found.slice(0, wanted);
    from = { createdAt: Number(last.created_at), id: last.media_id };
  }
}

/**
 * The next ids of `walked`'s range of `media_tags_page` after `from`, backwards, that also hold every tag of
 * `others`: at most `wanted`, index only.
 */
function tagWalk(
  db: Db,
  scope: Scope,
  walked: string,
  others: string[],
  wanted: number,
  from: Cursor | undefined,
): Promise<Candidate[]> {
  let q = db
    .selectFrom('media_tags as t')
    .select(['t.media_id', 't.created_at'])
    .where('t.account_id', '=', scope.accountId)
    .where('t.environment', '=', scope.environment)
    .where('t.tag', '=', walked)
    .orderBy('t.created_at', 'desc')
    .orderBy('t.media_id', 'desc')
    .limit(wanted);
  // Each other tag is matched on the walked row's key in that tag's own range of `media_tags_page`, bounded by the
  // same cursor: both ranges are ordered by that key, so PostgreSQL merges them (one pass down each, index only)
  // where they are long, and seeks per row where the other range is much longer than the walk; SQLite seeks.
  for (const [index, other] of others.entries()) {
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('media_tags as o')
          .select('o.media_id')
          .whereRef('o.account_id', '=', 't.account_id')
          .whereRef('o.environment', '=', 't.environment')
          .where('o.tag', '=', other)
          // The key matched as an equality on `created_at` (what a merge needs) and two row-value bounds, not
          // an `=` on `media_id`: that would let the planner seek the primary key `(media_id, tag)` per row
          // instead, a random page each (PostgreSQL read ~260 pages from disk at 10⁶).
          .$if(index === 0, (o) => o.whereRef('o.created_at', '=', 't.created_at'))
          .where(({ eb, refTuple }) =>
            eb.and([
              eb(refTuple('o.created_at', 'o.media_id'), '>=', refTuple('t.created_at', 't.media_id')),
              eb(refTuple('o.created_at', 'o.media_id'), '<=', refTuple('t.created_at', 't.media_id')),
            ]),
          )
          .$if(from !== undefined, (o) =>
            o.where(({ eb, refTuple, tuple }) =>
              eb(refTuple('o.created_at', 'o.media_id'), '<', tuple(from?.createdAt ?? 0, from?.id ?? '')),
            ),
          ),
      ),
    );
  }
  if (from)
    q = q.where(({ eb, refTuple, tuple }) =>
      eb(refTuple('t.created_at', 't.media_id'), '<', tuple(from.createdAt, from.id)),
    );
  return q.execute();
}

/**
 * The tags ordered rarest first where the page is read: each tag's next `DENSITY_SAMPLE` rows from the cursor (an
 * index-only range read). A tag with fewer rows is rarer; among full samples, the one whose sample reaches furthest
 * back in time is the sparsest there. `all` then walks that tag's range and probes the others.
 */
async function rarestFirst(
  db: Db,
  scope: Scope,
  tags: string[],
  cursor: Cursor | undefined,
): Promise<string[]> {
  const samples = await Promise.all(
    tags.map(async (tag) => {
      // The tag's own walk with nothing to match: the same index-only range `all` then reads.
      const rows = await tagWalk(db, scope, tag, [], DENSITY_SAMPLE, cursor);
      return { tag, n: rows.length, reach: Number(rows.at(-1)?.created_at ?? 0) };
    }),
  );
  return samples.sort((a, b) => a.n - b.n || a.reach - b.reach).map((s) => s.tag);
}

/**
 * `ids=`: at most 100 primary-key lookups; the other filters are applied to those rows here, so no planner can
 * prefer walking the account's list index instead.
 */
async function listByIds(
  db: Db,
  scope: Scope,
  query: ListQuery,
  ids: string[],
  tags: string[],
  cursor: Cursor | undefined,
): Promise<Page> {
  const rows = await db.selectFrom('media').selectAll().where('id', 'in', ids).execute();
  const now = Date.now();
  const name = query.name?.toLowerCase();
  const matching = rows.filter((row) => {
    if (row.account_id !== scope.accountId || row.environment !== scope.environment || expired(row, now))
      return false;
    if (query.namespace && row.namespace !== query.namespace) return false;
    if (name && !row.name.toLowerCase().includes(name)) return false;
    if (tags.length > 0) {
      const held = JSON.parse(row.tags) as string[];
      const hit = (tag: string) => held.includes(tag);
      if (query.tag_mode === 'all' ? !tags.every(hit) : !tags.some(hit)) return false;
    }
    if (cursor) {
      const at = Number(row.created_at);
      if (at > cursor.createdAt || (at === cursor.createdAt && row.id >= cursor.id)) return false;
    }
    return true;
  });
  return toPage(matching.sort(newestFirst), query.limit);
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
