import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ImageWorkQueue } from './image-work-queue.ts';

describe('ImageWorkQueue', () => {
  it('never runs more jobs than its concurrency, starts them in order, reports depth', async () => {
    const queue = new ImageWorkQueue(3);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const jobs = Array.from({ length: 20 }, (_, index) =>
      queue.run(async () => {
        started.push(index);
        running++;
        peak = Math.max(peak, running);
        await sleep(2 + (index % 4));
        running--;
        return index * 2;
      }),
    );
    expect(queue.active).toBe(3);
    expect(queue.depth).toBe(17);
    expect(await Promise.all(jobs)).toEqual(Array.from({ length: 20 }, (_, index) => index * 2));
    expect(peak).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, index) => index));
    expect(queue.active).toBe(0);
    expect(queue.depth).toBe(0);
  });

  it('frees the slot of a failing job and passes the error on', async () => {
    const queue = new ImageWorkQueue(1);
    const failing = queue.run(async () => {
      throw new Error('boom');
    });
    const next = queue.run(async () => 'next');
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('next');
    expect(queue.active).toBe(0);
  });

  it('defaults to the number of cores and refuses nonsense', () => {
    expect(new ImageWorkQueue().concurrency).toBeGreaterThanOrEqual(1);
    expect(() => new ImageWorkQueue(0)).toThrow(RangeError);
    expect(() => new ImageWorkQueue(1.5)).toThrow(RangeError);
  });
});
