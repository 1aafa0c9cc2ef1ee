import { type ViewerMedia, viewerMedia } from '../../delivery/viewer-page.ts';
import { copyField, formatBytes, heading, nextSteps } from '../components.ts';
import { type Html, html } from '../html.ts';
import type { PageContext, PageView, PublicPage } from '../page.ts';

/**
 * The viewer `GET /i/{id}` (docs/api.md §2.7): the image, its facts, copy-ready links and embed snippets (HTML,
 * Markdown, BBCode), download, and the size and format variants; Open Graph and Twitter card tags for link
 * previews (`og:image` is the `size=social` rendition). Private, expired or unknown → a 404 page that names nothing.
 */
function metaTags(v: ViewerMedia): Html {
  const { media, social } = v;
  const tags: [string, string][] = [
    ['og:type', 'website'],
    ['og:title', media.name],
    ['og:url', media.url],
    ['og:image', social],
    ['og:image:width', '1200'],
    ['og:image:height', '630'],
    ['twitter:card', 'summary_large_image'],
    ['twitter:title', media.name],
    ['twitter:image', social],
  ];
  return html`${tags.map(([property, content]) =>
    property.startsWith('twitter:')
      ? html`<meta name="${property}" content="${content}">\n`
      : html`<meta property="${property}" content="${content}">\n`,
  )}`;
}

function snippets(v: ViewerMedia) {
  const { media } = v;
  // Snippets are text to paste elsewhere: the name is escaped for the target language where it has markup.
  const attr = media.name.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const markdownAlt = media.name.replace(/[[\]\\]/g, '\\$&');
  return {
    html: `<a href="${media.url}"><img src="${media.sizes.l}" alt="${attr}" width="${media.width}" height="${media.height}"></a>`,
    markdown: `[![${markdownAlt}](${media.sizes.l})](${media.url})`,
    bbcode: `[url=${media.url}][img]${media.sizes.l}[/img][/url]`,
  };
}

const SIZE_LABELS = [
  ['s', 'Small (320 px short side)'],
  ['m', 'Medium (640 px)'],
  ['l', 'Large (1080 px)'],
] as const;

function render(v: ViewerMedia): PageView {
  const { media } = v;
  const embeds = snippets(v);
  return {
    title: media.name,
    documentTitle: media.name,
    head: metaTags(v),
    scripts: ['copy.js'],
    main: html`${heading(media.name)}
<figure class="viewer-figure"><a href="${media.src}"><img src="${media.sizes.l}" srcset="${media.srcset_auto}" sizes="(min-width: 72rem) 68rem, 100vw" alt="${media.name}" width="${media.width}" height="${media.height}"></a></figure>
<div class="viewer-grid">
<section aria-labelledby="facts-heading"><h2 id="facts-heading">About this image</h2>
<dl class="facts">
<dt>Dimensions</dt><dd>${media.width} × ${media.height} px</dd>
<dt>Format</dt><dd>${media.format.toUpperCase()}</dd>
<dt>Size</dt><dd>${formatBytes(media.filesize)}</dd>
${media.date ? html`<dt>Date</dt><dd>${media.date}</dd>` : null}
${media.tags.length ? html`<dt>Tags</dt><dd>${media.tags.join(', ')}</dd>` : null}
</dl>
<p><a class="button primary" href="${media.src}" download>Download</a></p>
<h3>Sizes and formats</h3>
<ul class="variants">
${SIZE_LABELS.map(([size, label]) => html`<li><a href="${media.sizes[size]}">${label}</a></li>`)}
<li><a href="${v.social}">Social card (1200 × 630)</a></li>
<li><a href="${media.src}">Original size</a></li>
${v.formats.map((f) => html`<li><a href="${f.url}">${f.format.toUpperCase()}</a></li>`)}
</ul>
</section>
<section aria-labelledby="share-heading"><h2 id="share-heading">Share and embed</h2>
${copyField('Link to this page', media.url)}
${copyField('Image URL', media.src)}
${copyField('HTML', embeds.html, { multiline: true })}
${copyField('Markdown', embeds.markdown, { multiline: true })}
${copyField('BBCode', embeds.bbcode, { multiline: true })}
</section>
</div>`,
  };
}

const notFound = (): PageView => ({
  status: 404,
  title: 'Image not found',
  cache: 'no-store',
  main: html`${heading('Image not found')}<p>This image does not exist, has expired, or is private.</p>${nextSteps(
    [{ href: '/', label: 'About this server' }],
  )}`,
});

export const VIEWER_PAGE: PublicPage = {
  path: '/i/:id',
  area: 'site',
  access: 'public',
  async render(ctx: PageContext) {
    const found = await viewerMedia(
      { db: ctx.services.store.db, bases: ctx.services.config },
      ctx.params.id ?? '',
    );
    return found ? render(found) : notFound();
  },
};
