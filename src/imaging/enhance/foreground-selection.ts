import type { AlphaMask, Box } from './pixel-buffers.ts';

/** Mask values at or above this count as product when finding objects and their bounding box. */
const OBJECT_ALPHA = 128;
/** Objects smaller than this share of the largest one are specks (dust, noise, mask crumbs). */
const SIGNIFICANT_SHARE = 0.02;
/** Soft mask edges below OBJECT_ALPHA survive this far from a kept object; elsewhere they are haze. */
const EDGE_REACH = 3;

export interface ForegroundSelection {
  /** The mask with everything but the kept objects (and their soft edges) cleared. */
  readonly alpha: Uint8Array;
  /** Bounding box of the kept objects (mask ≥ OBJECT_ALPHA). */
  readonly box: Box;
  readonly kept: number;
  /** Significant objects left out (only when keeping the main object). */
  readonly dropped: number;
  readonly keptArea: number;
  readonly touchesEdge: boolean;
}

/**
 * Finds the objects in a mask (8-connected, thresholded at OBJECT_ALPHA) and keeps either the largest
 * (`main`) or every significant one (`all`). Null when the mask holds no object at all.
 */
export function selectForeground(mask: AlphaMask, keep: 'main' | 'all'): ForegroundSelection | null {
  const { width, height, data } = mask;
  const { runs, objects } = findObjects(mask);
  if (objects.length === 0) return null;
  const largest = objects.reduce((a, b) => (b.area > a.area ? b : a));
  const significant = objects.filter((o) => o.area >= largest.area * SIGNIFICANT_SHARE);
  const keptObjects = keep === 'main' ? [largest] : significant;
  const keptRoots = new Set(keptObjects.map((o) => o.root));
  let left = width;
  let top = height;
  let right = 0;
  let bottom = 0;
  let keptArea = 0;
  for (const o of keptObjects) {
    left = Math.min(left, o.left);
    top = Math.min(top, o.top);
    right = Math.max(right, o.right);
    bottom = Math.max(bottom, o.bottom);
    keptArea += o.area;
  }
  // Only the kept box, grown by the edge reach, can hold kept pixels or their soft edges.
  const region = grow({ left, top, width: right - left, height: bottom - top }, EDGE_REACH, width, height);
  const keptPixels = new Uint8Array(region.width * region.height);
  for (let r = 0; r < runs.count; r++) {
    if (!keptRoots.has(runs.root[r]!)) continue;
    const row = (runs.y[r]! - region.top) * region.width - region.left;
    keptPixels.fill(1, row + runs.start[r]!, row + runs.end[r]!);
  }
  const near = dilate(keptPixels, region.width, region.height, EDGE_REACH);
  const alpha = new Uint8Array(width * height);
  for (let y = 0; y < region.height; y++) {
    for (let x = 0; x < region.width; x++) {
      const q = y * region.width + x;
      const p = (region.top + y) * width + region.left + x;
      // Soft edges near a kept object stay; pixels of dropped objects go even when they are near one.
      const value = data[p]!;
      if (near[q] && (keptPixels[q] || value < OBJECT_ALPHA)) alpha[p] = value;
    }
  }
  return {
    alpha,
    box: { left, top, width: right - left, height: bottom - top },
    kept: keptObjects.length,
    dropped: significant.length - keptObjects.length,
    keptArea,
    touchesEdge: left === 0 || top === 0 || right === width || bottom === height,
  };
}

function grow(box: Box, by: number, width: number, height: number): Box {
  const left = Math.max(0, box.left - by);
  const top = Math.max(0, box.top - by);
  const right = Math.min(width, box.left + box.width + by);
  const bottom = Math.min(height, box.top + box.height + by);
  return { left, top, width: right - left, height: bottom - top };
}

interface ImageObject {
  readonly root: number;
  area: number;
  left: number;
  top: number;
  /** Exclusive. */
  right: number;
  /** Exclusive. */
  bottom: number;
}

/** Horizontal runs of object pixels; `end` is exclusive. */
class Runs {
  count = 0;
  y = new Int32Array(1024);
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  parent = new Int32Array(1024);
  root = new Int32Array(1024);

  add(y: number, start: number, end: number): number {
    if (this.count === this.y.length) {
      for (const key of ['y', 'start', 'end', 'parent', 'root'] as const) {
        const grown = new Int32Array(this.count * 2);
        grown.set(this[key]);
        this[key] = grown;
      }
    }
    const r = this.count++;
    this.y[r] = y;
    this.start[r] = start;
    this.end[r] = end;
    this.parent[r] = r;
    return r;
  }

  find(r: number): number {
    const { parent } = this;
    let root = r;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[r] !== root) {
      const up = parent[r]!;
      parent[r] = root;
      r = up;
    }
    return root;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/**
 * Connected-component labelling on runs rather than pixels: a product mask has a few runs per row, so
 * union-find touches thousands of runs instead of millions of pixels.
 */
function findObjects(mask: AlphaMask): { runs: Runs; objects: ImageObject[] } {
  const { width, height, data } = mask;
  const runs = new Runs();
  let previousFirst = 0;
  let previousEnd = 0;
  for (let y = 0; y < height; y++) {
    const rowFirst = runs.count;
    const row = y * width;
    let x = 0;
    while (x < width) {
      while (x < width && data[row + x]! < OBJECT_ALPHA) x++;
      if (x === width) break;
      const start = x;
      while (x < width && data[row + x]! >= OBJECT_ALPHA) x++;
      const r = runs.add(y, start, x);
      // 8-connected: a run touches a run above that overlaps [start − 1, x + 1).
      for (let above = previousFirst; above < previousEnd; above++) {
        if (runs.end[above]! < start) continue;
        if (runs.start[above]! > x) break;
        runs.union(r, above);
      }
    }
    previousFirst = rowFirst;
    previousEnd = runs.count;
  }
  const byRoot = new Map<number, ImageObject>();
  for (let r = 0; r < runs.count; r++) {
    const root = runs.find(r);
    runs.root[r] = root;
    const y = runs.y[r]!;
    const start = runs.start[r]!;
    const end = runs.end[r]!;
    const o = byRoot.get(root);
    if (!o) {
      byRoot.set(root, { root, area: end - start, left: start, top: y, right: end, bottom: y + 1 });
      continue;
    }
    o.area += end - start;
    o.left = Math.min(o.left, start);
    o.right = Math.max(o.right, end);
    o.top = Math.min(o.top, y);
    o.bottom = Math.max(o.bottom, y + 1);
  }
  return { runs, objects: [...byRoot.values()] };
}

/** Square dilation by `radius` (separable running counts: linear in pixels whatever the radius). */
function dilate(binary: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const rows = new Uint8Array(binary.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let count = 0;
    for (let x = 0; x < Math.min(radius, width); x++) count += binary[row + x]!;
    for (let x = 0; x < width; x++) {
      if (x + radius < width) count += binary[row + x + radius]!;
      if (x - radius - 1 >= 0) count -= binary[row + x - radius - 1]!;
      if (count > 0) rows[row + x] = 1;
    }
  }
  // Vertical pass with one running count per column, walking rows in memory order.
  const out = new Uint8Array(binary.length);
  const counts = new Int32Array(width);
  for (let y = 0; y < Math.min(radius, height); y++) {
    for (let x = 0; x < width; x++) counts[x]! += rows[y * width + x]!;
  }
  for (let y = 0; y < height; y++) {
    if (y + radius < height) {
      const enter = (y + radius) * width;
      for (let x = 0; x < width; x++) counts[x]! += rows[enter + x]!;
    }
    if (y - radius - 1 >= 0) {
      const leave = (y - radius - 1) * width;
      for (let x = 0; x < width; x++) counts[x]! -= rows[leave + x]!;
    }
    const row = y * width;
    for (let x = 0; x < width; x++) if (counts[x]! > 0) out[row + x] = 1;
  }
  return out;
}
