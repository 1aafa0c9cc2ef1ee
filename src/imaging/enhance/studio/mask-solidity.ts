import type { OpenCv } from './opencv.ts';

/** Objects smaller than this share of the largest are specks and do not count. */
const MIN_OBJECT_SHARE = 0.02;

/**
 * Solidity of a 0/1 mask: the area of its objects over the area of their convex hulls (OpenCV contours), 1 for
 * convex objects. Products are mostly solid (a goblet ≈ 0.6); the shaded rim of a light box whose faces went to
 * the backdrop is an L or a ring, far below. Separate objects are hulled one by one, so a group is not penalised
 * for the gaps between its products.
 */
export function maskSolidity(cv: OpenCv, mask: Uint8Array, width: number, height: number): number {
  const image = cv.matFromArray(height, width, cv.CV_8UC1, mask);
  const contours = new cv.MatVector();
  const hierarchy = new cv.Mat();
  try {
    cv.findContours(image, contours, hierarchy, cv.RETR_EXTERNAL, cv.CHAIN_APPROX_SIMPLE);
    const objects: { area: number; hull: number }[] = [];
    for (let i = 0; i < contours.size(); i++) {
      const contour = contours.get(i);
      const hull = new cv.Mat();
      try {
        cv.convexHull(contour, hull, false, true);
        objects.push({ area: cv.contourArea(contour), hull: cv.contourArea(hull) });
      } finally {
        hull.delete();
        contour.delete();
      }
    }
    const largest = Math.max(0, ...objects.map((o) => o.area));
    let area = 0;
    let hull = 0;
    for (const o of objects) {
      if (o.area < largest * MIN_OBJECT_SHARE) continue;
      area += o.area;
      hull += o.hull;
    }
    return hull > 0 ? Math.min(1, area / hull) : 0;
  } finally {
    image.delete();
    contours.delete();
    hierarchy.delete();
  }
}
