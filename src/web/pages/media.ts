import type { Environment } from '../../accounts/api-key-format.ts';
import type { mediaView } from '../../media/media-view.ts';
import { ownerMedia } from '../../media/owner-media.ts';
import { formatBytes, heading, notice } from '../components.ts';
import { confirmDialog, environmentOf, environmentTabs, queryText } from '../dashboard-parts.ts';
import { type Html, html } from '../html.ts';
import type { OwnerContext, OwnerPage, PageView } from '../page.ts';

/**
 * The media library (docs/web.md): a grid of the owner's images in one environment, newest first, a keyset page at
 * a time; filters by name, namespace and tags (a GET form: works without JavaScript, and so does "Older images").
 * With JavaScript (`media.js`): drag-and-drop multi-upload with a progress bar per file, selection and deletion of
 * many, and the next pages loaded as the grid scrolls — fetched as this page's own markup, so it has one source.
 */
type MediaView = ReturnType<typeof mediaView>;

const MEDIA_PAGE_SIZE = 60;

interface Filters {
  env: Environment;
  name?: string | undefined;
  namespace?: string | undefined;
  tags?: string | undefined;
  tag_mode?: 'all' | undefined;
}

function filtersOf(query: Readonly<Record<string, unknown>>): Filters {
  return {
    env: environmentOf(query),
    name: queryText(query, 'name'),
    namespace: queryText(query, 'namespace', 64),
    tags: queryText(query, 'tags', 1000),
    tag_mode: query.tag_mode === 'all' ? 'all' : undefined,
  };
}

/** The page's URL for these filters (and a cursor): what "Older images" and the filter form lead to. */
function pageUrl(filters: Filters, cursor?: string): string {
  const params = new URLSearchParams();
  if (filters.env === 'test') params.set('env', 'test');
  for (const name of ['name', 'namespace', 'tags', 'tag_mode'] as const) {
    const value = filters[name];
    if (value) params.set(name, value);
  }
  if (cursor) params.set('cursor', cursor);
  const search = params.toString();
  return search ? `/media?${search}` : '/media';
}

/**
 * One tile: a square thumbnail (`size=s`, lazy, with its box reserved so nothing moves as images arrive) and the
 * name as the link's text; the checkbox for selecting many appears with JavaScript.
 */
function mediaTile(m: MediaView): Html {
  return html`<li class="tile" data-id="${m.id}" data-name="${m.name}">
<input type="checkbox" class="tile-select" id="select-${m.id}" aria-label="Select ${m.name}" data-requires-js hidden>
<a class="tile-link" href="/media/${m.id}"><span class="tile-image"><img src="${m.sizes.s}" alt="" loading="lazy" decoding="async" width="320" height="320"></span><span class="tile-name">${m.name}</span></a>
<span class="tile-meta">${m.width} × ${m.height} · ${m.format.toUpperCase()} · ${formatBytes(m.filesize)}${m.public ? null : html` · <span class="private">private</span>`}</span>
</li>`;
}

function filterForm(filters: Filters): Html {
  return html`<form class="filters" method="get" action="/media" role="search" aria-label="Filter images">
${filters.env === 'test' ? html`<input type="hidden" name="env" value="test">` : null}
<div class="field"><label for="filter-name">Name</label><input id="filter-name" name="name" type="search" maxlength="255" value="${filters.name ?? ''}" placeholder="Name contains…"></div>
<div class="field"><label for="filter-namespace">Namespace</label><input id="filter-namespace" name="namespace" type="text" maxlength="64" value="${filters.namespace ?? ''}" placeholder="All" list="namespace-options" autocomplete="off"><datalist id="namespace-options"></datalist></div>
<div class="field"><label for="filter-tags">Tags</label><input id="filter-tags" name="tags" type="text" maxlength="1000" value="${filters.tags ?? ''}" placeholder="comma,separated" aria-describedby="filter-tags-help"><p class="help" id="filter-tags-help"><label class="inline"><input type="checkbox" name="tag_mode" value="all"${filters.tag_mode === 'all' ? html` checked` : null}> has all of them</label></p></div>
<div class="filter-buttons"><button type="submit">Filter</button>${filters.name || filters.namespace || filters.tags ? html`<a class="button" href="${pageUrl({ env: filters.env })}">Clear</a>` : null}</div>
</form>`;
}

function uploadSection(env: Environment, maxUploadMb: number): Html {
  return html`<section aria-labelledby="upload-heading" class="upload-section">
<h2 id="upload-heading">Upload</h2>
<noscript>${notice('info', 'Uploading from this page needs JavaScript; POST /v1/upload works with any HTTP client.')}</noscript>
<form id="upload-form" class="stack" data-requires-js hidden data-environment="${env}">
<div id="drop-zone" class="drop-zone">
<p><strong>Drop images here</strong> or</p>
<label class="button primary" for="upload-input">Choose images</label>
<input id="upload-input" class="visually-hidden" type="file" name="file" accept="image/*" multiple>
<p class="help">JPEG, PNG, WebP, AVIF, GIF, HEIC, SVG and more; up to ${maxUploadMb} MB each. They go to the <strong>${env === 'test' ? 'test (sandbox)' : 'live'}</strong> library.</p>
</div>
<details class="upload-options"><summary>Tags, namespace and visibility of these uploads</summary>
<div class="form-grid">
<div class="field"><label for="upload-tags">Tags</label><input id="upload-tags" name="tags" type="text" maxlength="1000" placeholder="comma,separated"></div>
<div class="field"><label for="upload-namespace">Namespace</label><input id="upload-namespace" name="namespace" type="text" maxlength="64" pattern="[a-z0-9\\-]{2,64}" placeholder="e.g. products"></div>
<div class="field"><label class="inline"><input id="upload-private" name="private" type="checkbox"> Private (only the src link shows it; no viewer page)</label></div>
</div>
</details>
</form>
<ul id="upload-list" class="upload-list" aria-label="Uploads"></ul>
<div id="upload-summary" class="status-region" role="status" aria-live="polite"></div>
</section>`;
}

function bulkBar(): Html {
  return html`<div id="bulk-bar" class="bulk-bar" data-requires-js hidden>
<label class="inline"><input type="checkbox" id="select-all"> Select all shown</label>
<span id="selection-count" class="muted" aria-live="polite">None selected</span>
<button type="button" id="enhance-selected" class="small" disabled>Enhance selected</button>
<button type="button" id="delete-selected" class="small danger" disabled>Delete selected</button>
</div>`;
}

async function render(ctx: OwnerContext): Promise<PageView> {
  const { account } = ctx.session;
  const { services } = ctx;
  const filters = filtersOf(ctx.query);
  const cursor = queryText(ctx.query, 'cursor', 200);
  // One query: the page's first byte waits for nothing else (the namespace suggestions come later, from media.js).
  const page = await ownerMedia.list(services, account, filters.env, {
    limit: MEDIA_PAGE_SIZE,
    ...(cursor ? { cursor } : {}),
    ...(filters.name ? { name: filters.name } : {}),
    ...(filters.namespace ? { namespace: filters.namespace } : {}),
    ...(filters.tags ? { tags: filters.tags, tag_mode: filters.tag_mode ?? 'any' } : {}),
  });
  const filtered = Boolean(filters.name || filters.namespace || filters.tags);
  const empty = filtered ? 'No images match these filters.' : 'No images here yet. Upload some above.';
  return {
    title: 'Media',
    scripts: ['media.js'],
    main: html`${heading('Media', html`Images of <strong>${account.email}</strong>. Open one to edit it, copy its links or build a rendition.`)}
${environmentTabs('/media', filters.env)}
${account.suspended || account.payment_risk ? notice('error', 'This account is restricted: it cannot upload.') : null}
${uploadSection(filters.env, services.config.maxUploadMb)}
<section aria-labelledby="library-heading">
<h2 id="library-heading">${filters.env === 'test' ? 'Test library' : 'Library'}</h2>
${filterForm(filters)}
<div id="media-status" class="status-region" role="status" aria-live="polite"></div>
${bulkBar()}
<ul id="media-grid" class="media-grid" data-environment="${filters.env}">${page.data.map(mediaTile)}</ul>
${page.data.length === 0 ? html`<p class="empty" id="media-empty">${cursor ? 'No older images.' : empty}</p>` : null}
<p class="more">${page.next_cursor ? html`<a id="load-more" class="button" href="${pageUrl(filters, page.next_cursor)}">Older images</a>` : null}${cursor ? html` <a href="${pageUrl(filters)}">Back to the newest</a>` : null}</p>
</section>
${confirmDialog()}`,
  };
}

export const MEDIA_PAGE: OwnerPage = {
  path: '/media',
  area: 'dashboard',
  access: 'owner',
  nav: { label: 'Media', order: 12 },
  render,
};
