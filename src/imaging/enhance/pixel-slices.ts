/**
 * Pixels per slice of a loop that has to stay on the main thread (an ONNX model's input and output, a
 * segmentation service's mask): ≈ 0.2 ms of arithmetic, ≈ 3 ms for the dearest (a sigmoid per pixel, measured on
 * the 2-core test machine), far under the 50 ms the event loop may be held.
 */
const SLICE_PIXELS = 1 << 16;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Calls `body(start, end)` over `[0, count)` slice by slice, letting the event loop run between slices. What
 * `body` throws rejects the promise and stops the loop.
 */
export async function inSlices(count: number, body: (start: number, end: number) => void): Promise<void> {
  for (let start = 0; start < count; start += SLICE_PIXELS) {
    if (start > 0) await nextTurn();
    body(start, Math.min(count, start + SLICE_PIXELS));
  }
}
