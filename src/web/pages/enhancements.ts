import { ownerEnhancements } from '../../enhancements/owner-enhancements.ts';
import { PRESERVATION_LEVEL_IDS, PRESET_IDS, PRESETS } from '../../imaging/enhance/presets.ts';
import { day, heading, notice } from '../components.ts';
import {
  batchProgress,
  environmentOf,
  environmentTabs,
  isTerminal,
  queryText,
  shortId,
  statusBadge,
} from '../dashboard-parts.ts';
import { type Html, html } from '../html.ts';
import type { OwnerContext, OwnerPage, PageView } from '../page.ts';

/**
 * Enhancements (docs/web.md): the form that makes a batch from image URLs or from the media library, with a key
 * of the owner's choosing (its environment decides sandbox or live credits), and the batches of one environment,
 * newest first, their progress kept live by `enhancements.js` while any is running.
 */
type Keys = Awaited<ReturnType<typeof ownerEnhancements.keys>>;
type Page = Awaited<ReturnType<typeof ownerEnhancements.list>>;

function keySelect(keys: Keys, env: string): Html {
  const group = (environment: 'test' | 'live', label: string) => {
    const list = keys.filter((k) => k.environment === environment);
    return list.length
      ? html`<optgroup label="${label}">${list.map(
          (k, i) =>
            html`<option value="${k.key_id}" data-environment="${k.environment}"${environment === env && i === 0 ? html` selected` : null}>${k.name} (${k.hint})</option>`,
        )}</optgroup>`
      : null;
  };
  return html`<select id="enhance-key" name="key_id" required aria-describedby="enhance-key-help">${group('test', 'Test keys (sandbox: free)')}${group('live', 'Live keys (paid credits)')}</select>`;
}

function createForm(ctx: OwnerContext, keys: Keys, env: string): Html {
  const { config } = ctx.services;
  const { account } = ctx.session;
  if (keys.length === 0) {
    return notice(
      'info',
      html`A batch belongs to one of your API keys, and this account has no active key. <a href="/keys">Create one</a> (a test key runs in the free sandbox).`,
    );
  }
  const preselected = (queryText(ctx.query, 'media', 2000) ?? '')
    .split(',')
    .filter((id) => /^[0-9A-Za-z]{8}$/.test(id));
  return html`<form id="create-form" class="stack" data-requires-js hidden data-credits-per-image="${config.creditsPerImage}" data-paid-available="${Number(account.paid_available)}" data-preselected="${preselected.join(',')}">
<div class="form-grid">
<div class="field"><label for="enhance-key">Key</label>${keySelect(keys, env)}<p class="help" id="enhance-key-help">The batch belongs to this key: a test key runs in the sandbox for free; a live key spends the account’s paid credits. Its webhooks are signed with this key’s secrets.</p></div>
<div class="field"><label for="enhance-preset">Preset</label><select id="enhance-preset" name="preset">${PRESET_IDS.map(
    (id) => html`<option value="${id}">${PRESETS[id].name}</option>`,
  )}</select></div>
<div class="field"><label for="enhance-level">Preservation level</label><select id="enhance-level" name="preservation_level">${PRESERVATION_LEVEL_IDS.map(
    (id) => html`<option value="${id}">${id}</option>`,
  )}</select></div>
</div>
<fieldset><legend>Images</legend>
<div class="choice"><input type="radio" name="source" id="source-urls" value="urls"${preselected.length ? null : html` checked`}><label for="source-urls">From URLs</label></div>
<div class="choice"><input type="radio" name="source" id="source-library" value="library"${preselected.length ? html` checked` : null}><label for="source-library">From the media library</label></div>
<div class="field" id="urls-field"><label for="enhance-urls">Image URLs, one per line</label><textarea id="enhance-urls" name="urls" rows="4" spellcheck="false" placeholder="https://example.com/product.jpg" aria-describedby="enhance-urls-help"></textarea><p class="help" id="enhance-urls-help">Public JPEG, PNG or WebP images up to 10 MB; at most 20 a batch.</p></div>
<div id="library-field" class="library-picker" hidden>
<div class="picker-bar"><label for="picker-search">Search by name</label><input id="picker-search" class="picker-search" type="search" maxlength="255"><span id="picker-count" class="muted" aria-live="polite">None chosen</span></div>
<ul id="picker-grid" class="picker-grid" aria-label="Images of the library"></ul>
<p><button type="button" id="picker-more" class="small" hidden>More images</button></p>
</div>
</fieldset>
<details><summary>Instructions and webhook (optional)</summary>
<div class="field"><label for="enhance-instructions">Instructions</label><textarea id="enhance-instructions" name="instructions" rows="2" maxlength="4000"></textarea></div>
<div class="field"><label for="enhance-webhook">Webhook URL</label><input id="enhance-webhook" name="webhook_url" type="url" maxlength="2048" placeholder="https://example.com/hooks/lightbox" aria-describedby="enhance-webhook-help"><p class="help" id="enhance-webhook-help">A public HTTPS URL that gets the batch’s events, signed with the key’s secrets (<a href="/docs/webhooks">how to verify</a>).</p></div>
</details>
<p id="enhance-cost" class="muted" aria-live="polite"></p>
<div class="field-errors" id="create-errors" role="alert"></div>
<p><button type="submit" class="primary" id="create-button">Start enhancing</button></p>
</form>
<noscript>${notice('info', 'Starting a batch from this page needs JavaScript; POST /api/v1/product-image-enhancements works with any HTTP client.')}</noscript>`;
}

function batchTable(page: Page, env: string): Html {
  if (page.enhancements.length === 0) {
    return html`<div id="enhancements-table" data-running="0"><p class="empty">No ${env === 'test' ? 'sandbox ' : ''}batches yet.</p></div>`;
  }
  const running = page.enhancements.some((e) => !isTerminal(e.status));
  return html`<div id="enhancements-table" class="table-scroll" tabindex="0" role="region" aria-labelledby="batches-heading" data-running="${running ? 1 : 0}">
<table class="wide batches">
<thead><tr><th scope="col">Batch</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Preset</th><th scope="col">Credits</th><th scope="col">Created</th></tr></thead>
<tbody>${page.enhancements.map(
    (e) => html`<tr>
<th scope="row"><a href="/enhancements/${e.id}"><code>${shortId(e.id)}</code></a></th>
<td>${statusBadge(e.status)}</td>
<td>${batchProgress(e)}</td>
<td>${e.preset}</td>
<td>${e.sandbox ? html`<span class="muted">sandbox</span>` : html`${e.credits_used} of ${e.credits_reserved}`}</td>
<td>${day(Date.parse(e.created_at ?? ''))}</td>
</tr>`,
  )}</tbody>
</table>
</div>`;
}

async function render(ctx: OwnerContext): Promise<PageView> {
  const { account } = ctx.session;
  const env = environmentOf(ctx.query);
  const cursor = queryText(ctx.query, 'cursor', 200);
  const [keys, page] = await Promise.all([
    ownerEnhancements.keys(ctx.services, account),
    ownerEnhancements.list(ctx.services, account, {
      environment: env,
      limit: 20,
      ...(cursor ? { cursor } : {}),
    }),
  ]);
  const base = env === 'test' ? '/enhancements?env=test' : '/enhancements';
  const older = page.next_cursor
    ? `${base}${base.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(page.next_cursor)}`
    : null;
  return {
    title: 'Enhancements',
    scripts: ['enhancements.js'],
    main: html`${heading('Enhancements', 'Product photos cut out, centred and lit on a clean background, in batches of up to 20.')}
<div id="enhance-status" class="status-region" role="status" aria-live="polite"></div>
<section aria-labelledby="create-heading"><h2 id="create-heading">New batch</h2>${createForm(ctx, keys, env)}</section>
<section aria-labelledby="batches-heading"><h2 id="batches-heading">Batches</h2>
${environmentTabs('/enhancements', env)}
${batchTable(page, env)}
<p class="more">${older ? html`<a class="button" href="${older}">Older batches</a>` : null}${cursor ? html` <a href="${base}">Back to the newest</a>` : null}</p>
</section>`,
  };
}

export const ENHANCEMENTS_PAGE: OwnerPage = {
  path: '/enhancements',
  area: 'dashboard',
  access: 'owner',
  nav: { label: 'Enhancements', order: 14 },
  render,
};
