import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MediaLookups } from './media-lookups.ts';

let rows: Map<string, { v: number }>;
let reads: string[];
const read = async (id: string) => {
  reads.push(id);
  const row = rows.get(id);
  return row ? { ...row } : undefined;
};

beforeEach(() => {
  rows = new Map([
    ['a', { v: 1 }],
    ['b', { v: 1 }],
    ['c', { v: 1 }],
  ]);
  reads = [];
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

describe('MediaLookups', () => {
  it('answers from memory within the TTL and reads again after it', async () => {
    const lookups = new MediaLookups(read, { ttlMs: 1000, maxEntries: 10 });
    expect(await lookups.get('a')).toEqual({ v: 1 });
    rows.set('a', { v: 2 });
    vi.advanceTimersByTime(999);
    expect(await lookups.get('a')).toEqual({ v: 1 });
    vi.advanceTimersByTime(1);
    expect(await lookups.get('a')).toEqual({ v: 2 });
    expect(reads).toEqual(['a', 'a']);
  });

  it('forgets a changed row at once', async () => {
    const lookups = new MediaLookups(read, { ttlMs: 60_000, maxEntries: 10 });
    await lookups.get('a');
    rows.delete('a');
    lookups.forget('a');
    expect(await lookups.get('a')).toBeUndefined();
  });

  it('does not remember unknown ids: an upload is served as soon as it exists', async () => {
    const lookups = new MediaLookups(read, { ttlMs: 60_000, maxEntries: 10 });
    expect(await lookups.get('new')).toBeUndefined();
    rows.set('new', { v: 1 });
    expect(await lookups.get('new')).toEqual({ v: 1 });
  });

  it('does not remember a read that a change overtook', async () => {
    let release: () => void = () => {};
    const slow = async (id: string) => {
      const row = rows.get(id);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return row;
    };
    const lookups = new MediaLookups(slow, { ttlMs: 60_000, maxEntries: 10 });
    const pending = lookups.get('a');
    rows.delete('a');
    lookups.forget('a');
    release();
    expect(await pending).toEqual({ v: 1 });
    expect(lookups.size).toBe(0);
  });

  it('holds at most maxEntries rows, the oldest leaving first; ttl 0 holds none', async () => {
    const lookups = new MediaLookups(read, { ttlMs: 60_000, maxEntries: 2 });
    await lookups.get('a');
    await lookups.get('b');
    await lookups.get('c');
    expect(lookups.size).toBe(2);
    reads = [];
    await lookups.get('b');
    await lookups.get('a');
    expect(reads).toEqual(['a']);

    const none = new MediaLookups(read, { ttlMs: 0, maxEntries: 2 });
    await none.get('a');
    expect(none.size).toBe(0);
  });
});
