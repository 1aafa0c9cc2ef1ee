import { describe, expect, it } from 'vitest';
import {
  boundRendition,
  type CostSource,
  DEFAULT_RENDITION_BUDGET,
  renditionCost,
} from './rendition-cost.ts';
import { parseRenditionParams, renditionKey } from './rendition-params.ts';

const params = (ext: string, query: Record<string, string>, source: 'jpeg' | 'png' | 'gif' = 'jpeg') =>
  parseRenditionParams({ ext, query, source });

describe('rendition cost budget', () => {
  it('leaves realistic sizes and presets as requested', () => {
    const photo = { format: 'jpeg', width: 4000, height: 3000, frames: 1 } as const;
    for (const [ext, query] of [
      ['webp', { w: '2000' }],
      ['avif', { w: '1600' }],
      ['jpg', { size: 'l' }],
      ['jpg', { size: 'social' }],
      ['jpg', {}],
    ] as const) {
      const bounded = boundRendition(photo, params(ext, query));
      expect(bounded.ok && !bounded.bounded, `${ext} ${JSON.stringify(query)}`).toBe(true);
    }
  });

  it('scales a padded AVIF of a tiny PNG down to the AVIF pixel ceiling, square kept', () => {
    const tiny = { format: 'png', width: 10, height: 10, frames: 1 } as const;
    const bounded = boundRendition(tiny, params('avif', { w: '8192', h: '8192', fit: 'pad' }, 'png'));
    expect(bounded.ok && bounded.bounded).toBe(true);
    if (!bounded.ok) return;
    expect(bounded.cost.width).toBe(bounded.cost.height);
    expect(bounded.cost.width * bounded.cost.height).toBeLessThanOrEqual(
      DEFAULT_RENDITION_BUDGET.maxPixels.avif,
    );
    expect(bounded.cost.width).toBeGreaterThan(2500);
    expect(bounded.cost.cpuMs).toBeLessThanOrEqual(DEFAULT_RENDITION_BUDGET.cpuMs);
  });

  it('gives an animated output its own frames × pixels budget', () => {
    const gif = { format: 'gif', width: 16, height: 16, frames: 1000 } as const;
    const requested = params('gif', { w: '8192', h: '8192', fit: 'pad' }, 'gif');
    expect(renditionCost(gif, requested).cpuMs).toBeGreaterThan(1_000_000);
    const bounded = boundRendition(gif, requested);
    expect(bounded.ok && bounded.bounded).toBe(true);
    if (!bounded.ok) return;
    expect(bounded.cost.frames).toBe(1000);
    expect(bounded.cost.width * bounded.cost.height * 1000).toBeLessThanOrEqual(32_000_000);
    // A still output of the same source decodes one frame: no bound needed for a sane size.
    expect(boundRendition(gif, params('jpg', { w: '800' }, 'gif'))).toMatchObject({
      ok: true,
      bounded: false,
    });
  });

  it('scales presets and the original as themselves (one side), and refuses when the decode alone is over', () => {
    const long = { format: 'gif', width: 500, height: 500, frames: 1000 } as const;
    const original = boundRendition(long, params('gif', {}, 'gif'));
    expect(original.ok && original.bounded).toBe(true);
    if (original.ok) expect(original.params.resize).toMatchObject({ kind: 'box', height: null });
    // 490 MP of frames (within the upload limits): decoding them alone is over the budget.
    const huge = { format: 'gif', width: 700, height: 700, frames: 1000 } as const;
    expect(boundRendition(huge, params('gif', { size: 's' }, 'gif')).ok).toBe(false);
    expect(boundRendition(huge, params('jpg', { size: 's' }, 'gif')).ok).toBe(true);
  });
});

describe('format=auto and the budget', () => {
  const photo = { format: 'jpeg', width: 4000, height: 3000, frames: 1 } as const;
  const negotiated = (query: string, source: CostSource = photo) =>
    boundRendition(
      source,
      parseRenditionParams({
        ext: 'auto',
        query: new URLSearchParams(query),
        source: source.format,
        accept: 'image/avif,image/webp',
      }),
    );

  it('keeps AVIF while it is cheap, falls back to WebP when costly or animated', () => {
    const cheap = negotiated('size=l');
    expect(cheap.ok && cheap.params.format).toBe('avif');
    const costly = negotiated('w=3000');
    expect(costly.ok && costly.params.format).toBe('webp');
    expect(costly.ok && costly.bounded).toBe(false);
    const animation = negotiated('', { format: 'gif', width: 100, height: 100, frames: 5 });
    expect(animation.ok && renditionKey(animation.params)).toBe('full.webp');
    const webpOriginal = negotiated('', { format: 'webp', width: 100, height: 100, frames: 5 });
    expect(webpOriginal.ok && renditionKey(webpOriginal.params)).toBe('original.webp');
  });
});
