import { beforeAll, expect, it } from 'vitest';
import { describeOnEachDialect } from '../../test/support/databases.ts';
import { loadSyntheticMedia, syntheticNamespace, syntheticTag } from '../../test/support/synthetic-media.ts';
import { ensureAccount } from '../accounts/accounts-store.ts';
import type { Actor } from '../accounts/authenticate.ts';
import { type ListQuery, listMediaRows } from './media-queries.ts';

/**
 * Tag filters walked page by page over a synthetic library give exactly the media a plain filter of every row
 * gives, newest first: the `all` walk (sparsest tag's range, the others probed at each row's key) and the `any`
 * merge. Some media share a creation time, so the probes must match on the id as well as the time.
 */

const SEEDED = 3000;

interface Held {
  id: string;
  createdAt: number;
  namespace: string | null;
  tags: string[];
}

describeOnEachDialect('tag filters over many pages', (store) => {
  let actor: Actor;
  let library: Held[];

  beforeAll(async () => {
    const { account } = await store().transaction((tx) =>
      ensureAccount(tx, { email: `${crypto.randomUUID()}@example.test`, plan: 'free' }),
    );
    actor = { account, key: { environment: 'live' } };
    const ids = await loadSyntheticMedia(store(), account.id, SEEDED, { seed: 11 });
    // Groups of ten consecutive media share one creation time (as a bulk import can).
    const db = store().db;
    for (let group = 0; group < SEEDED; group += 300) {
      const tied = ids.slice(group, group + 10);
      const at = Date.now() - 1_000_000 - group;
      await db.updateTable('media').set({ created_at: at }).where('id', 'in', tied).execute();
      await db.updateTable('media_tags').set({ created_at: at }).where('media_id', 'in', tied).execute();
    }
    const rows = await db
      .selectFrom('media')
      .select(['id', 'created_at', 'namespace', 'tags'])
      .where('account_id', '=', account.id)
      .execute();
    library = rows.map((r) => ({
      id: r.id,
      createdAt: Number(r.created_at),
      namespace: r.namespace,
      tags: JSON.parse(r.tags) as string[],
    }));
  }, 120_000);

  /** Every page of `query`, `limit` at a time, concatenated. */
  async function walk(query: Omit<ListQuery, 'limit' | 'cursor'>, limit: number): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await listMediaRows(store().db, actor, { ...query, limit, ...(cursor ? { cursor } : {}) });
      out.push(...page.rows.map((r) => r.id));
      if (!page.nextCursor) return out;
      cursor = page.nextCursor;
    }
    throw new Error('more than 1000 pages');
  }

  const expected = (keep: (m: Held) => boolean): string[] =>
    library
      .filter(keep)
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
      .map((m) => m.id);

  it('tag_mode=all: every page together is exactly the media holding every tag', async () => {
    for (const tags of [
      [syntheticTag(0), syntheticTag(1)],
      [syntheticTag(9), syntheticTag(1), syntheticTag(0)],
      [syntheticTag(3), syntheticTag(120)],
    ]) {
      const want = expected((m) => tags.every((t) => m.tags.includes(t)));
      expect(want.length).toBeGreaterThan(0);
      expect(await walk({ tags: tags.join(','), tag_mode: 'all' }, 7)).toEqual(want);
    }
  });

  it('tag_mode=all with a namespace, and tag_mode=any, page by page', async () => {
    const [a, b] = [syntheticTag(0), syntheticTag(2)];
    const namespace = syntheticNamespace(4);
    expect(await walk({ tags: `${a},${b}`, tag_mode: 'all', namespace }, 3)).toEqual(
      expected((m) => m.namespace === namespace && m.tags.includes(a) && m.tags.includes(b)),
    );
    expect(await walk({ tags: `${a},${b}`, tag_mode: 'any' }, 50)).toEqual(
      expected((m) => m.tags.includes(a) || m.tags.includes(b)),
    );
  });
});
