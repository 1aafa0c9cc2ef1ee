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
