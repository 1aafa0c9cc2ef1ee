import { createHmac } from 'node:crypto';

/** `src` of a media rendition: `<SRC_BASE>/<token>/<id>.<ext>`; the token makes private src URLs unguessable. */
export function srcUrl(
  srcBase: string,
  media: { id: string; token: string },
  ext: string,
  query = '',
): string {
  return `${srcBase}/${media.token}/${media.id}.${ext}${query ? `?${query}` : ''}`;
}

export function viewerUrl(publicUrl: string, id: string): string {
  return `${publicUrl}/i/${id}`;
}

/** The query parameter carrying a `src` signature (LIGHTBOX_SIGNED_TRANSFORMS). */
export const SIGNATURE_PARAM = 's';

/**
 * The key `src` signatures are made with, derived from the server secret (LIGHTBOX_SECRET) so the secret itself
 * never signs anything else: HMAC-SHA256(secret, "lightbox/src-transforms/v1").
 */
export function srcSigningKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('lightbox/src-transforms/v1').digest();
}

/** The query string without its signature parameter, exactly as sent otherwise (order and encoding kept). */
function unsignedSearch(search: string): string {
  return search
    .split('&')
    .filter((pair) => pair !== '' && pair !== SIGNATURE_PARAM && !pair.startsWith(`${SIGNATURE_PARAM}=`))
    .join('&');
}

/**
 * The signature of `<token>/<id>.<ext>?<query>`: base64url(HMAC-SHA256(signing key, that text)), first 32 chars.
 * The path is relative to LIGHTBOX_SRC_BASE, so a CDN in front (another host or prefix) keeps signatures valid.
 */
export function srcSignature(key: Buffer, file: string, search: string): string {
  return createHmac('sha256', key)
    .update(`${file}?${unsignedSearch(search)}`)
    .digest('base64url')
    .slice(0, 32);
}

/** A `src` URL whose transform parameters are signed (`…&s=<signature>`), for LIGHTBOX_SIGNED_TRANSFORMS. */
export function signedSrcUrl(
  srcBase: string,
  media: { id: string; token: string },
  ext: string,
  query: string,
  key: Buffer,
): string {
  const search = unsignedSearch(query);
  const signature = srcSignature(key, `${media.token}/${media.id}.${ext}`, search);
  return srcUrl(srcBase, media, ext, `${search ? `${search}&` : ''}${SIGNATURE_PARAM}=${signature}`);
}
