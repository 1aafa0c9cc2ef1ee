import type { AreaNav, NavLink } from '../layout.ts';
import type { Area, FormDef, PageDef } from '../page.ts';
import { ADMIN_ACCOUNT_FORMS, ADMIN_ACCOUNT_PAGE } from './admin-account.ts';
import { ADMIN_ACCOUNTS_FORMS, ADMIN_ACCOUNTS_PAGE } from './admin-accounts.ts';
import { ADMIN_OUTBOX_PAGE } from './admin-outbox.ts';
import { ADMIN_SIGN_IN_FORMS, ADMIN_SIGN_IN_PAGES } from './admin-sign-in.ts';
import { ADMIN_STATUS_PAGE } from './admin-status.ts';
import { ADMIN_WEBHOOKS_FORMS, ADMIN_WEBHOOKS_PAGE } from './admin-webhooks.ts';
import { DASHBOARD_PAGE } from './dashboard.ts';
import { ERRORS_PAGE } from './docs-errors.ts';
import { LIMITS_PAGE } from './docs-limits.ts';
import { PRESETS_PAGE } from './docs-presets.ts';
import { QUICK_START_PAGE } from './docs-quick-start.ts';
import { WEBHOOKS_PAGE } from './docs-webhooks.ts';
import { ENHANCEMENT_DETAIL_PAGE } from './enhancement-detail.ts';
import { ENHANCEMENTS_PAGE } from './enhancements.ts';
import { DOCS_INDEX_PAGE, HOME_PAGE } from './home.ts';
import { KEYS_PAGE } from './keys.ts';
import { LINK_FORMS, LINK_PAGES } from './link-pages.ts';
import { MEDIA_PAGE } from './media.ts';
import { MEDIA_DETAIL_PAGE } from './media-detail.ts';
import { SIGN_IN_FORMS, SIGN_IN_PAGES } from './sign-in.ts';
import { USAGE_PAGE } from './usage.ts';
import { VIEWER_PAGE } from './viewer.ts';

/**
 * The page registry: every HTML page the server answers (web-routes.ts registers each as a GET route) and every
 * form it takes (POST). A page with `nav` is listed in its area's side navigation. Adding a page: write its
 * module here in pages/, add it to this list, test it (docs/web.md, "Add a page").
 */
export const PAGES: readonly PageDef[] = [
  HOME_PAGE,
  DOCS_INDEX_PAGE,
  QUICK_START_PAGE,
  ERRORS_PAGE,
  PRESETS_PAGE,
  WEBHOOKS_PAGE,
  LIMITS_PAGE,
  DASHBOARD_PAGE,
  KEYS_PAGE,
  VIEWER_PAGE,
  ...SIGN_IN_PAGES,
  ...LINK_PAGES,
  MEDIA_PAGE,
  MEDIA_DETAIL_PAGE,
  ENHANCEMENTS_PAGE,
  ENHANCEMENT_DETAIL_PAGE,
  USAGE_PAGE,
  // Operator pages (`/admin`, behind the admin token).
  ...ADMIN_SIGN_IN_PAGES,
  ADMIN_STATUS_PAGE,
  ADMIN_ACCOUNTS_PAGE,
  ADMIN_ACCOUNT_PAGE,
  ADMIN_OUTBOX_PAGE,
  ADMIN_WEBHOOKS_PAGE,
];

export const FORMS: readonly FormDef[] = [
  ...SIGN_IN_FORMS,
  ...LINK_FORMS,
  ...ADMIN_SIGN_IN_FORMS,
  ...ADMIN_ACCOUNTS_FORMS,
  ...ADMIN_ACCOUNT_FORMS,
  ...ADMIN_WEBHOOKS_FORMS,
];

/** Links that belong in an area's navigation but are not pages of this registry. */
const EXTRA_NAV: readonly (NavLink & { area: Area; order: number })[] = [
  { area: 'docs', href: '/docs/api', label: 'API reference', order: 15 },
];

/** The side navigation of each area, ordered. */
export const AREA_NAV: AreaNav = (() => {
  const entries = [
    ...PAGES.flatMap((p) =>
      p.nav ? [{ area: p.area, href: p.path, label: p.nav.label, order: p.nav.order }] : [],
    ),
    ...EXTRA_NAV,
  ].sort((a, b) => a.order - b.order);
  const nav: Partial<Record<Area, NavLink[]>> = {};
  for (const { area, href, label } of entries) nav[area] = [...(nav[area] ?? []), { href, label }];
  return nav;
})();
