import { ownerMedia } from '../../media/owner-media.ts';
import { copyField, formatBytes, notice, time } from '../components.ts';
import { confirmDialog } from '../dashboard-parts.ts';
import { type Html, html } from '../html.ts';
import type { OwnerContext, OwnerPage, PageView } from '../page.ts';
import { builderForm, builderValues } from '../rendition-builder.ts';

/**
 * One image of the library (docs/web.md): its facts, its links and size variants with copy buttons, the edit form
 * (name, tags, namespace, visibility, expiry; `media-detail.js` saves it through the dashboard API), delete, and
 * the rendition builder with its preview (a GET form, so the URL is built without JavaScript too).
 */
type Media = Awaited<ReturnType<typeof ownerMedia.get>>;

const EXPIRY_REASONS: Record<string, string> = {
  ttl: 'as set',
  unverified: 'the account’s email was not verified when it was uploaded',
  anonymous: 'anonymous upload',
};

function facts(m: Media): Html {
  return html`<dl class="facts" id="media-facts">
<dt>Dimensions</dt><dd>${m.width} × ${m.height} px</dd>
<dt>Format</dt><dd>${m.format.toUpperCase()}, ${formatBytes(m.filesize)}</dd>
<dt>Environment</dt><dd><span class="env env-${m.environment}">${m.environment}</span></dd>
<dt>Visibility</dt><dd>${m.public ? 'Public: it has a viewer page' : 'Private: only its src link shows it'}</dd>
<dt>Namespace</dt><dd>${m.namespace ?? html`<span class="muted">none</span>`}</dd>
<dt>Tags</dt><dd>${m.tags.length ? m.tags.map((t) => html`<span class="tag">${t}</span> `) : html`<span class="muted">none</span>`}</dd>
<dt>Uploaded</dt><dd>${time(m.created_at * 1000)}</dd>
<dt>Expires</dt><dd>${m.expires_at === null ? 'never' : html`${time(m.expires_at * 1000)} <span class="muted">(${EXPIRY_REASONS[m.expiry_reason ?? ''] ?? 'as set'})</span>`}</dd>
</dl>`;
}

function links(m: Media): Html {
  return html`${copyField('src (original)', m.src)}
${copyField('Small (size=s)', m.sizes.s)}
${copyField('Medium (size=m)', m.sizes.m)}
${copyField('Large (size=l)', m.sizes.l)}
${m.public ? copyField('Viewer page', m.url) : null}`;
}

function editForm(m: Media): Html {
  const ttlHelp =
    'Empty leaves the expiry as it is. A time from now (30m, 12h, 7d: 5 minutes to 90 days), or “never”.';
  return html`<form id="edit-form" class="stack" data-requires-js hidden data-media-id="${m.id}">
<div class="form-grid">
<div class="field"><label for="edit-name">Name</label><input id="edit-name" name="name" type="text" maxlength="255" required value="${m.name}"></div>
<div class="field"><label for="edit-tags">Tags</label><input id="edit-tags" name="tags" type="text" maxlength="1000" value="${m.tags.join(', ')}" aria-describedby="edit-tags-help"><p class="help" id="edit-tags-help">Comma-separated, at most 10.</p></div>
<div class="field"><label for="edit-namespace">Namespace</label><input id="edit-namespace" name="namespace" type="text" maxlength="64" value="${m.namespace ?? ''}" aria-describedby="edit-namespace-help"><p class="help" id="edit-namespace-help">Lowercase letters, digits and hyphens; empty for none.</p></div>
<div class="field"><label for="edit-ttl">Expires in</label><input id="edit-ttl" name="ttl" type="text" maxlength="16" placeholder="unchanged" aria-describedby="edit-ttl-help"><p class="help" id="edit-ttl-help">${ttlHelp}</p></div>
</div>
<div class="field"><label class="inline"><input id="edit-public" name="public" type="checkbox"${m.public ? html` checked` : null}> Public (a viewer page at <code>/i/${m.id}</code>)</label></div>
<div class="field-errors" id="edit-errors" role="alert"></div>
<p><button type="submit" class="primary">Save changes</button></p>
</form>
<noscript><p>Editing needs JavaScript; <code>PATCH /v1/media/${m.id}</code> works with any HTTP client.</p></noscript>`;
}

async function render(ctx: OwnerContext): Promise<PageView> {
  const m = await ownerMedia.get(ctx.services, ctx.session.account, ctx.params.id ?? '');
  const values = builderValues(ctx.query);
  const built = await ownerMedia.rendition(ctx.services, ctx.session.account, m.id, values);
  const back = m.environment === 'test' ? '/media?env=test' : '/media';
  return {
    title: m.name,
    scripts: ['media-detail.js'],
    main: html`<p class="breadcrumb"><a href="${back}">← Media${m.environment === 'test' ? ' (test)' : ''}</a></p>
<h1 id="media-name">${m.name}</h1>
<div id="media-status" class="status-region" role="status" aria-live="polite"></div>
<div class="media-detail">
<figure class="media-figure"><a href="${m.src}"><img src="${m.sizes.m}" alt="${m.name}" width="${m.width}" height="${m.height}"></a></figure>
<section aria-labelledby="facts-heading"><h2 id="facts-heading" class="visually-hidden">About this image</h2>
${facts(m)}
<p class="actions-row"><a class="button" href="/enhancements?env=${m.environment}&amp;media=${m.id}#create-heading">Enhance</a> <button type="button" id="delete-media" class="danger" data-requires-js hidden data-media-id="${m.id}" data-media-name="${m.name}" data-back="${back}">Delete</button></p>
</section>
</div>
<div class="viewer-grid">
<section aria-labelledby="edit-heading"><h2 id="edit-heading">Edit</h2>${editForm(m)}</section>
<section aria-labelledby="links-heading"><h2 id="links-heading">Links and sizes</h2>${links(m)}</section>
</div>
<section aria-labelledby="builder-heading" class="builder"><h2 id="builder-heading">Rendition builder</h2>
<p>Pick what the <code>src</code> URL should do; the preview and the URL follow.</p>
${builderForm(`/media/${m.id}`, values)}
${copyField('Rendition URL', built.url, { id: 'rendition-url' })}
<figure class="rendition-preview"><img id="rendition-preview" src="${built.url}" alt="Preview of the rendition" data-media-id="${m.id}"><figcaption id="rendition-dimensions" class="muted"></figcaption></figure>
${ctx.services.config.signedTransforms ? notice('info', 'This server signs transform parameters: the URL carries its signature (s=…); change a parameter and the signature no longer matches.') : null}
</section>
${confirmDialog()}`,
  };
}

export const MEDIA_DETAIL_PAGE: OwnerPage = {
  path: '/media/:id',
  area: 'dashboard',
  access: 'owner',
  render,
};
