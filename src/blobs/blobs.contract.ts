import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlobStore } from './blobs.ts';

/** What every blob backend must guarantee. */
export function blobsContract(
  name: string,
  open: () => Promise<{ blobs: BlobStore; close: () => Promise<void> }>,
) {
  describe(`blob store contract: ${name}`, () => {
    let blobs: BlobStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ blobs, close } = await open());
    });
    afterAll(() => close());
    const key = (suffix: string) => `contract/${crypto.randomUUID()}/${suffix}`;

    it('round-trips buffers, streams and files', async () => {
      const a = key('a');
      expect(await blobs.put(a, Buffer.from('hello'))).toEqual({ size: 5 });
      expect((await blobs.getBuffer(a))?.toString()).toBe('hello');
      const b = key('b');
      await blobs.put(b, Readable.from([Buffer.from('str'), Buffer.from('eam')]));
      const stream = await blobs.get(b);
      expect(stream && (await buffer(stream)).toString()).toBe('stream');
      const file = path.join(tmpdir(), `${crypto.randomUUID()}.bin`);
      await writeFile(file, Buffer.alloc(3 * 1024 * 1024, 7));
      const c = key('c');
      try {
        expect(await blobs.put(c, { file })).toEqual({ size: 3 * 1024 * 1024 });
      } finally {
        await rm(file, { force: true });
      }
      expect(await blobs.stat(c)).toEqual({ size: 3 * 1024 * 1024 });
      const local = await blobs.withLocalFile(c, async (f) => (await import('node:fs/promises')).stat(f));
      expect(local?.size).toBe(3 * 1024 * 1024);
    });

    it('answers null for missing blobs and deletes idempotently', async () => {
      const k = key('missing');
      expect(await blobs.get(k)).toBeNull();
      expect(await blobs.getBuffer(k)).toBeNull();
      expect(await blobs.stat(k)).toBeNull();
      expect(await blobs.withLocalFile(k, async () => 1)).toBeNull();
      await blobs.delete(k);
      await blobs.put(k, Buffer.from('x'));
      await blobs.delete(k);
      await blobs.delete(k);
      expect(await blobs.stat(k)).toBeNull();
    });

    it('lists keys under a prefix', async () => {
      const base = `contract/${crypto.randomUUID()}`;
      expect(await blobs.list(`${base}/`)).toEqual([]);
      await blobs.put(`${base}/b/2`, Buffer.from('2'));
      await blobs.put(`${base}/a`, Buffer.from('1'));
      await blobs.put(`${base}x/other`, Buffer.from('3'));
      expect(await blobs.list(`${base}/`)).toEqual([`${base}/a`, `${base}/b/2`]);
      expect(await blobs.list(`${base}/b/`)).toEqual([`${base}/b/2`]);
      await expect(blobs.list(base)).rejects.toThrow();
    });

    it('deletes by prefix', async () => {
      const base = `contract/${crypto.randomUUID()}`;
      await blobs.put(`${base}/r/1`, Buffer.from('1'));
      await blobs.put(`${base}/r/2`, Buffer.from('2'));
      await blobs.put(`${base}/keep`, Buffer.from('k'));
      await blobs.deletePrefix(`${base}/r/`);
      expect(await blobs.stat(`${base}/r/1`)).toBeNull();
      expect(await blobs.stat(`${base}/r/2`)).toBeNull();
      expect(await blobs.stat(`${base}/keep`)).toEqual({ size: 1 });
    });

    it('leaves nothing behind when a stream fails mid-write', async () => {
      const k = key('broken');
      await blobs.put(k, Buffer.from('old'));
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1024, 1));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(blobs.put(k, failing)).rejects.toThrow();
      expect((await blobs.getBuffer(k))?.toString()).toBe('old');
    });

    it('rejects a file that cannot be read, creating nothing', async () => {
      const k = key('from-missing-file');
      const file = path.join(tmpdir(), `${crypto.randomUUID()}.missing`);
      await expect(blobs.put(k, { file })).rejects.toThrow(/ENOENT/);
      expect(await blobs.stat(k)).toBeNull();
    });

    it('keeps concurrent writers of one key whole', async () => {
      const k = key('race');
      const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(256 * 1024, i));
      await Promise.all(bodies.map((b) => blobs.put(k, b)));
      const result = await blobs.getBuffer(k);
      expect(result?.length).toBe(256 * 1024);
      expect(new Set(result)).toHaveProperty('size', 1);
    });

    it('refuses keys that could escape the store', async () => {
      for (const bad of ['../x', 'a/../../b', '/abs', 'a//b', 'a\\b', '']) {
        await expect(blobs.put(bad, Buffer.from('x'))).rejects.toThrow(/invalid blob key/);
      }
    });

    it('refuses such keys on every operation, and prefixes without a trailing slash', async () => {
      for (const bad of ['../x', 'a/../../b', '/abs', 'a//b']) {
        await expect(blobs.get(bad)).rejects.toThrow(/invalid blob key/);
        await expect(blobs.getBuffer(bad)).rejects.toThrow(/invalid blob key/);
        await expect(blobs.stat(bad)).rejects.toThrow(/invalid blob key/);
        await expect(blobs.delete(bad)).rejects.toThrow(/invalid blob key/);
        await expect(blobs.withLocalFile(bad, async () => 1)).rejects.toThrow(/invalid blob key/);
        await expect(blobs.deletePrefix(`${bad}/`)).rejects.toThrow(/invalid blob key/);
      }
      await expect(blobs.deletePrefix(`contract/${crypto.randomUUID()}`)).rejects.toThrow(/end with \//);
    });

    it('stores empty blobs, and replaces a blob whole on a successful write', async () => {
      const empty = key('empty');
      expect(await blobs.put(empty, Buffer.alloc(0))).toEqual({ size: 0 });
      expect(await blobs.stat(empty)).toEqual({ size: 0 });
      expect(await blobs.getBuffer(empty)).toEqual(Buffer.alloc(0));
      const emptyStream = key('empty-stream');
      expect(await blobs.put(emptyStream, Readable.from([]))).toEqual({ size: 0 });
      expect(await blobs.stat(emptyStream)).toEqual({ size: 0 });

      const k = key('replaced');
      await blobs.put(k, Buffer.from('a much longer first version'));
      expect(await blobs.put(k, Readable.from([Buffer.from('v2')]))).toEqual({ size: 2 });
      expect((await blobs.getBuffer(k))?.toString()).toBe('v2');
      expect(await blobs.withLocalFile(k, async (file) => (await readFile(file)).toString())).toBe('v2');
    });
  });
}
