import { describe, expect, it } from 'vitest';
import type { BackgroundModel } from './background-model.ts';
import { rgbToLab } from './lab-image.ts';
import { backdropRefusal, MIN_CLEAR_EDGE_SHARE, measureConfidence } from './mask-confidence.ts';

const W = 80;
const H = 60;

/** A square product of `colour` on a backdrop of `backdrop`, its mask, and a backdrop model to match. */
function scene(colour: number, backdrop: number, noise = 0.5) {
  const rgb = new Uint8Array(W * H * 3).fill(backdrop);
  const mask = new Uint8Array(W * H);
  for (let y = 20; y < 40; y++) {
    for (let x = 30; x < 50; x++) {
      rgb.fill(colour, (y * W + x) * 3, (y * W + x) * 3 + 3);
      mask[y * W + x] = 1;
    }
  }
  const lab = rgbToLab(rgb, W, H);
  const model: BackgroundModel = {
    kind: 'smooth',
    expected: lab,
    distance: new Float32Array(W * H),
    noise,
    frame: 2,
    frameInliers: 1,
  };
  return { lab, mask, model };
}

describe('mask confidence', () => {
  it('trusts a product with a clear outline all round', () => {
    const { lab, mask, model } = scene(60, 230);
    const confidence = measureConfidence(lab, mask, model, mask, 1);
    expect(confidence.clearEdgeShare).toBe(1);
    expect(confidence.edgeContrast).toBeGreaterThan(50);
    expect(confidence.agreement).toBe(1);
    expect(confidence.compactness).toBeGreaterThan(0.7);
    expect(confidence.score).toBe(1);
    expect(confidence.refusal).toBeNull();
  });

  it('refuses a product that barely differs from the backdrop, and says why', () => {
    const { lab, mask, model } = scene(240, 233);
    const confidence = measureConfidence(lab, mask, model, mask, 1);
    expect(confidence.clearEdgeShare).toBeLessThan(MIN_CLEAR_EDGE_SHARE);
    expect(confidence.score).toBe(0);
    expect(confidence.refusal).toMatch(/only 0 % of it stands out from the backdrop \(65 % needed\)/);
  });

  it('refuses a cut that leaves out much of what differs from the backdrop next to it', () => {
    const { lab, mask, model } = scene(60, 230);
    // What the backdrop model calls different: the product and 500 px attached to it that the cut dropped.
    const different = Uint8Array.from(mask);
    for (let y = 20; y < 40; y++) for (let x = 50; x < 75; x++) different[y * W + x] = 1;
    const confidence = measureConfidence(lab, mask, model, different, 1);
    expect(confidence.agreement).toBeCloseTo(400 / 900, 3);
    expect(confidence.refusal).toMatch(/overlap by only 44 % \(50 % needed\)/);
  });

  it('refuses a thin or hollow shape even when its edges are clear', () => {
    const { lab, mask, model } = scene(60, 230);
    expect(measureConfidence(lab, mask, model, mask, 0.37).refusal).toMatch(
      /only a thin or hollow shape \(it fills 37 %/,
    );
  });

  it('refuses a textured backdrop and a border that is mostly not backdrop', () => {
    const { model } = scene(60, 230);
    expect(backdropRefusal({ ...model, noise: 7 })).toMatch(/textured or busy \(it varies by 7\.0 ΔE/);
    expect(backdropRefusal({ ...model, frameInliers: 0.3 })).toMatch(
      /only 30 % of the photo's border is backdrop/,
    );
    expect(backdropRefusal(model)).toBeNull();
  });
});
