import type { HttpFamily } from '../metrics/metrics-registry.ts';

/** The route label of requests no route matched: one series, whatever the URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The `src` route's template, as Fastify names it and the fast path reports it. */
export const srcRouteOf = (srcPath: string): string => `${srcPath}/:token/:file`;

/**
 * The family a request belongs to, for the metrics: from its route template (`/v1/media/:id`), or its path when no
 * route matched. `srcPath` (the path of LIGHTBOX_SRC_BASE) may be empty: `src` at the root of the URL space.
 */
export function familyOfRequest(pathOrRoute: string, srcPath: string): HttpFamily {
  if (pathOrRoute === srcRouteOf(srcPath) || (srcPath !== '' && pathOrRoute.startsWith(`${srcPath}/`)))
    return 'src';
  if (pathOrRoute.startsWith('/api/')) return 'enhancement';
  // The operator API; the operator pages (`/admin`, `/admin/accounts`…) are pages like the others.
  if (pathOrRoute.startsWith('/admin/v1/')) return 'admin';
  if (pathOrRoute.startsWith('/v1/')) return 'hosting';
  if (pathOrRoute === '/healthz' || pathOrRoute === '/readyz') return 'health';
  if (pathOrRoute === '/metrics') return 'metrics';
  return 'pages';
}
