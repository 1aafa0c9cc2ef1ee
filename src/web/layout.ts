import type { Config } from '../config/config.ts';
import { assetUrl } from './assets.ts';
import { type Html, html } from './html.ts';
import type { Area, PageView } from './page.ts';

export interface NavLink {
  href: string;
  label: string;
}

/** The side navigation of each area, built from the page registry (pages/index.ts). */
export type AreaNav = Readonly<Partial<Record<Area, readonly NavLink[]>>>;

export interface DocumentInput {
  view: PageView;
  area: Area;
  /** The request path, to mark the current link (`aria-current="page"`). */
  path: string;
  nav: AreaNav;
  config: Pick<Config, 'supportUrl' | 'supportEmail'>;
  /**
   * Owner and operator pages: who is signed in, the CSRF token of the session for forms and `fetch`, and where
   * signing out posts (the owner's `/sign-out` unless said otherwise).
   */
  session?: { email: string; csrfToken: string; signOutPath?: string } | undefined;
}

const TOP_LINKS: readonly (NavLink & { area: Area })[] = [
  { href: '/docs/quick-start', label: 'Docs', area: 'docs' },
  { href: '/docs/api', label: 'API reference', area: 'site' },
  { href: '/dashboard', label: 'Dashboard', area: 'dashboard' },
];

const current = (active: boolean) => (active ? html` aria-current="page"` : html``);

function sideNav(area: Area, links: readonly NavLink[] | undefined, path: string): Html | null {
  if (!links || links.length === 0) return null;
  const label = area === 'dashboard' ? 'Dashboard' : area === 'admin' ? 'Operator' : 'Documentation';
  return html`<nav class="side-nav" aria-label="${label}"><ul>${links.map(
    (link) => html`<li><a href="${link.href}"${current(link.href === path)}>${link.label}</a></li>`,
  )}</ul></nav>`;
}

function accountBar(session: DocumentInput['session']): Html | null {
  if (!session) return null;
  return html`<div class="account-bar"><span class="account-email" title="Signed in">${session.email}</span>
<form method="post" action="${session.signOutPath ?? '/sign-out'}"><input type="hidden" name="csrf" value="${session.csrfToken}"><button type="submit" class="link-button">Sign out</button></form></div>`;
}

function support(config: DocumentInput['config']): Html | null {
  const links = [
    config.supportUrl ? html`<a href="${config.supportUrl}">Support</a>` : null,
    config.supportEmail ? html`<a href="mailto:${config.supportEmail}">${config.supportEmail}</a>` : null,
  ].filter(Boolean);
  return links.length ? html`<li>${links}</li>` : null;
}

/** The whole HTML document around a page: skip link, header, side navigation, main, footer. */
export function renderDocument(input: DocumentInput): string {
  const { view, area, path, nav, config, session } = input;
  const title = view.documentTitle ?? `${view.title} · Lightbox`;
  // The dashboard's and the operator's navigation are for the signed in; their sign-in pages show none.
  const side = (area === 'dashboard' || area === 'admin') && !session ? null : sideNav(area, nav[area], path);
  const scripts = (view.scripts ?? []).map(
    (name) => html`<script type="module" src="${assetUrl(name)}"></script>`,
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<link rel="stylesheet" href="${assetUrl('app.css')}">
<link rel="icon" href="${assetUrl('favicon.svg')}" type="image/svg+xml">
${session ? html`<meta name="csrf-token" content="${session.csrfToken}">` : null}
${view.head ?? null}
${scripts}
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header"><div class="wrap header-row">
<a class="brand" href="/">Lightbox</a>
<nav class="top-nav" aria-label="Site"><ul>${TOP_LINKS.map(
    (link) =>
      html`<li><a href="${link.href}"${current(link.area === area && area !== 'site')}>${link.label}</a></li>`,
  )}${area === 'admin' ? html`<li><a href="/admin"${current(true)}>Operator</a></li>` : null}</ul></nav>
${accountBar(session)}
</div></header>
<div class="wrap page${side ? ' with-side-nav' : ''}">
${side}
<main id="main" tabindex="-1">
${view.main}
</main>
</div>
<footer class="site-footer"><div class="wrap"><ul>
<li><a href="/">Lightbox</a>: self-hosted image hosting and product image enhancement</li>
<li><a href="/readyz">Status</a></li>
<li><a href="/docs/api">API reference</a></li>
${support(config)}
</ul></div></footer>
</body>
</html>
`.value;
}
