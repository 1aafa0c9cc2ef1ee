import { sql } from 'kysely';
import type { Account } from '../accounts/accounts-store.ts';
import type { Environment } from '../accounts/api-key-format.ts';
import type { Actor } from '../accounts/authenticate.ts';
import type { Config } from '../config/config.ts';
import { AppError } from '../errors/app-error.ts';
import { deliveryExtension, type ImageFormat, RENDITION_QUERY_NAMES } from '../imaging/index.ts';
import { type IngestDeps, ingest, precheckQuota, splitUploadFields } from './ingest.ts';
import { expired, type ListQuery } from './media-queries.ts';
import { findMedia, type MediaRow } from './media-repo.ts';
import { type MediaDeps, media } from './media-service.ts';
import { signedSrcUrl, srcSigningKey, srcUrl } from './media-urls.ts';

/**
 * The media library of an owner signed in to the dashboard (docs/web.md). The dashboard has no key: the owner
 * works in an environment they pick (live or test), and every call goes through the same media service, ingest
 * and quotas as the API, as an `Actor` of that environment. A media id of another account is "not found".
 */
export type OwnerMediaDeps = MediaDeps &
  IngestDeps & {
    config: Pick<Config, 'signedTransforms' | 'srcBase'>;
    secrets: { secret: string };
  };

const actorOf = (account: Account, environment: Environment): Actor => ({
  account,
  key: { environment },
});

/** Uploads and enhancements: what a suspended or restricted account's keys could not do either. */
function refuseRestricted(account: Account): void {
  if (account.suspended) throw new AppError('account_suspended');
  if (account.payment_risk) throw new AppError('payment_risk_restricted');
}

/** The owner's media `id` in whichever environment it is: the row, and the actor of that environment. */
async function ownRow(deps: Pick<MediaDeps, 'store'>, account: Account, id: string) {
  const row = /^[0-9A-Za-z]{8}$/.test(id) ? await findMedia(deps.store.db, id) : undefined;
  if (!row || row.account_id !== account.id || expired(row)) {
    throw new AppError('not_found', { message: 'Media not found' });
  }
  return { row, actor: actorOf(account, row.environment) };
}

/** Output formats the builder may put in the URL's extension; anything else stays a `format` parameter. */
const EXTENSION_FORMATS = new Set(['jpg', 'jpeg', 'png', 'webp', 'avif', 'gif']);

/** A `src` URL with the given rendition parameters (signed when LIGHTBOX_SIGNED_TRANSFORMS is on). */
function renditionUrl(deps: OwnerMediaDeps, row: MediaRow, params: Readonly<Record<string, string>>) {
  let ext = deliveryExtension(row.format as ImageFormat);
  const query = new URLSearchParams();
  for (const name of RENDITION_QUERY_NAMES) {
    const value = params[name]?.trim();
    if (!value) continue;
    if (name === 'format' && EXTENSION_FORMATS.has(value)) ext = value;
    else query.set(name, value);
  }
  const search = query.toString();
  if (!search || !deps.config.signedTransforms) return srcUrl(deps.config.srcBase, row, ext, search);
  return signedSrcUrl(deps.config.srcBase, row, ext, search, srcSigningKey(deps.secrets.secret));
}

export const ownerMedia = {
  list: (deps: OwnerMediaDeps, account: Account, environment: Environment, query: Omit<ListQuery, 'ids'>) =>
    media.list(deps, actorOf(account, environment), query),

  /** One media with what the dashboard shows beside the media object: its environment and why it expires. */
  async get(deps: OwnerMediaDeps, account: Account, id: string) {
    const { row, actor } = await ownRow(deps, account, id);
    return {
      ...(await media.get(deps, actor, id)),
      environment: row.environment,
      expiry_reason: row.expiry_reason,
    };
  },

  async update(deps: OwnerMediaDeps, account: Account, id: string, body: unknown) {
    const { actor } = await ownRow(deps, account, id);
    return media.update(deps, actor, id, body);
  },

  async remove(deps: OwnerMediaDeps, account: Account, id: string) {
    const { actor } = await ownRow(deps, account, id);
    return media.remove(deps, actor, id);
  },

  /** Up to 100 at once, each on its own (the API's `DELETE /v1/media?ids=`): `{data, errors}`. */
  removeMany: (deps: OwnerMediaDeps, account: Account, environment: Environment, ids: readonly string[]) =>
    media.removeMany(deps, actorOf(account, environment), ids.join(',')),

  /** The same change to up to 100 media (`PATCH /v1/media?ids=`), e.g. tags added, made private. */
  updateMany: (
    deps: OwnerMediaDeps,
    account: Account,
    environment: Environment,
    ids: readonly string[],
    body: unknown,
  ) => media.updateMany(deps, actorOf(account, environment), ids.join(','), body),

  /** Refuses before the body is read: a restricted account, or a month's uploads used up. */
  async admitUpload(deps: OwnerMediaDeps, account: Account, environment: Environment) {
    refuseRestricted(account);
    await precheckQuota(deps, actorOf(account, environment));
  },

  /** A file received by the dashboard's upload endpoint, ingested exactly like `POST /v1/upload`. */
  async upload(
    deps: OwnerMediaDeps,
    account: Account,
    input: {
      environment: Environment;
      clientIp: string;
      file: { path: string; size: number; filename: string } | null;
      fields: Record<string, string>;
    },
  ) {
    const { file } = input;
    if (!file) throw new AppError('invalid_payload', { errors: { file: ['File is required'] } });
    if (file.size === 0) throw new AppError('invalid_payload', { errors: { file: ['File is empty'] } });
    const { known, extra } = splitUploadFields(input.fields);
    return ingest(deps, {
      principal: actorOf(account, input.environment),
      clientIp: input.clientIp,
      file,
      fields: known,
      extraMetadata: extra,
      defaultName: file.filename || 'image',
      failure: 'upload_failed',
    });
  },

  /** The rendition builder: the `src` URL of one media with the chosen parameters. */
  async rendition(deps: OwnerMediaDeps, account: Account, id: string, params: Record<string, string>) {
    const { row } = await ownRow(deps, account, id);
    return { url: renditionUrl(deps, row, params) };
  },

  /**
   * The namespaces in use in one environment, for the filter (at most 200, by name). A skip scan of
   * `media_namespace_page`: each step seeks the next namespace, so the cost follows the namespaces, not the media.
   */
  async namespaces(deps: Pick<MediaDeps, 'store'>, account: Account, environment: Environment) {
    const next = (after: ReturnType<typeof sql>) => sql`(
      select min(m.namespace) from media m
      where m.account_id = ${account.id} and m.environment = ${environment} and m.namespace > ${after})`;
    const { rows } = await sql<{ namespace: string | null }>`
      with recursive ns(namespace, n) as (
        select min(namespace), 1 from media
        where account_id = ${account.id} and environment = ${environment} and namespace is not null
        union all
        select ${next(sql.ref('ns.namespace'))}, ns.n + 1 from ns where ns.namespace is not null and ns.n < 200
      )
      select namespace from ns where namespace is not null`.execute(deps.store.db);
    return rows.flatMap((r) => (r.namespace ? [r.namespace] : []));
  },
};
