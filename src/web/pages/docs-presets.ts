import { PRESERVATION_LEVELS, PRESETS } from '../../imaging/enhance/presets.ts';
import { heading } from '../components.ts';
import { html } from '../html.ts';
import type { PageView, PublicPage } from '../page.ts';

/** `/docs/presets`: the enhancement presets and preservation levels (from their registry), and `src` sizes. */
const SIZES = [
  ['s', 'short side 320 px, never enlarged'],
  ['m', 'short side 640 px'],
  ['l', 'short side 1080 px'],
  ['social', '1200 × 630, padded (link previews)'],
] as const;

const LEVEL_HELP: Record<keyof typeof PRESERVATION_LEVELS, string> = {
  strict: 'Keeps the product’s colours exactly: one brightness gain for all channels.',
  balanced: 'Also corrects the black point and a colour cast, within bounds.',
  creative: 'Stronger correction, a little contrast and vibrance.',
};

function render(): PageView {
  return {
    title: 'Presets',
    main: html`${heading('Presets', 'What each enhancement preset produces, how faithfully colours are kept, and the size presets of image URLs.')}
<h2 id="enhancement-presets">Enhancement presets</h2>
<p>The <code>preset</code> of <code>POST /api/v1/product-image-enhancements</code>; the default is <code>single_product_white_background</code>.</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Enhancement presets"><table class="wide">
<thead><tr><th scope="col">Preset</th><th scope="col">Result</th><th scope="col">Canvas</th></tr></thead>
<tbody>${Object.entries(PRESETS).map(
      ([id, p]) =>
        html`<tr><th scope="row"><code>${id}</code><br>${p.name}</th><td>${p.description}</td><td>${p.canvas.min}–${p.canvas.max} px square, product ${Math.round(p.productFill * 100)}%</td></tr>`,
    )}</tbody></table></div>
<h2 id="preservation-levels">Preservation levels</h2>
<p>The <code>preservation_level</code> of a batch; the default is <code>strict</code>.</p>
<dl class="facts">${Object.keys(PRESERVATION_LEVELS).map(
      (level) =>
        html`<dt><code>${level}</code></dt><dd>${LEVEL_HELP[level as keyof typeof PRESERVATION_LEVELS]}</dd>`,
    )}</dl>
<h2 id="sizes">Image sizes</h2>
<p>Add <code>?size=</code> to any image <code>src</code>; <code>w</code>, <code>h</code>, <code>fit</code> and <code>q</code> give any other size.</p>
<dl class="facts">${SIZES.map(([size, help]) => html`<dt><code>size=${size}</code></dt><dd>${help}</dd>`)}</dl>`,
  };
}

export const PRESETS_PAGE: PublicPage = {
  path: '/docs/presets',
  area: 'docs',
  access: 'public',
  nav: { label: 'Presets', order: 30 },
  render,
};
