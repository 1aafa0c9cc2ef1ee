import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../src/credits/ledger.ts';
import { HTTP_SUITE_DIALECT } from './support/databases.ts';
import {
  batchOf,
  createBatch,
  enhancementAccount,
  enhancementSuite,
  ledgerOf,
  waitForEnhancement,
} from './support/enhancement-fixtures.ts';
import { png } from './support/images.ts';
import { listAll, type MediaBody, upload } from './support/media-fixtures.ts';
import { runLightbox } from './support/processes.ts';
import { startProductSource } from './support/product-source.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const pathAndQuery = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

async function bytesAt(base: string, url: string): Promise<Buffer> {
  const response = await fetch(`${base}${pathAndQuery(url)}`);
  expect(response.status, url).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * `lightbox backup` taken from a serving embedded server while uploads and deletes are in flight, restored with
 * `lightbox restore` into an empty data directory: a server started there serves the same `src` URLs byte for byte,
 * accepts the same API keys and admin token, and has the same ledger. Both commands run as an operator runs them
 * (the real binary, LIGHTBOX_DATA_DIR), never in-process.
 */
describe.skipIf(HTTP_SUITE_DIALECT !== 'sqlite')('backup and restore (embedded profile)', () => {
  const books = enhancementSuite();
  let server: TestServer;
  let source: Awaited<ReturnType<typeof startProductSource>>;
  let scratch: string;

  beforeAll(async () => {
    source = await startProductSource();
    server = await startTestServer({ LIGHTBOX_FETCH_ALLOW_CIDRS: '127.0.0.1/32' });
    scratch = await mkdtemp(path.join(tmpdir(), 'lightbox-backup-test-'));
  });
  afterAll(async () => {
    await server?.close();
    await source?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('restores a backup taken while serving to the same media, ledger and keys', async () => {
    const owner = await enhancementAccount(server, books);
    const uploadedBytes = new Map<string, string>();
    const settled: MediaBody[] = [];
    for (let i = 0; i < 4; i++) {
      const file = await png(40 + i, 30);
      const response = await upload(server, file, { key: owner.key, fields: { tags: `settled,n${i}` } });
      expect(response.status, response.text).toBe(201);
      settled.push(response.body);
      // What this server serves for it (an unparameterised PNG may be the smaller re-encode, not the file).
      uploadedBytes.set(response.body.id, sha(await bytesAt(server.url, response.body.src)));
    }
    const batch = await createBatch(server, owner.key, batchOf([`${source.base}/a.jpg`]));
    const enhanced = await waitForEnhancement(server, owner.key, batch.enhancement.id);
    expect(enhanced.status).toBe('completed');
    const resultUrl = enhanced.items[0]?.result_url as string;
    const rendition = `${settled[0]?.src}?w=24`;
    const before = {
      result: await bytesAt(server.url, resultUrl),
      rendition: await bytesAt(server.url, rendition),
      ledger: await ledgerOf(server, owner.accountId),
    };

    // What the restored server must serve for media that existed before (the enhancement's result included).
    for (const m of await listAll(server, owner.key)) {
      if (!uploadedBytes.has(m.id)) uploadedBytes.set(m.id, sha(await bytesAt(server.url, m.src)));
    }

    // Traffic while the backup runs: uploads landing and a settled media deleted.
    let stop = false;
    const inFlight = Array.from({ length: 3 }, async (_, lane) => {
      for (let i = 0; !stop; i++) {
        const file = await png(20 + lane, 20 + (i % 40));
        const response = await upload(server, file, { key: owner.key });
        if (response.status === 201) {
          uploadedBytes.set(response.body.id, sha(await bytesAt(server.url, response.body.src)));
        }
      }
    });
    const doomed = settled.pop() as MediaBody;
    const backupDir = path.join(scratch, 'backup');
    const [backup] = await Promise.all([
      runLightbox(['backup', backupDir], { LIGHTBOX_DATA_DIR: server.services.config.dataDir }),
      server.request('DELETE', `/v1/media/${doomed.id}`, { key: owner.key }),
    ]);
    stop = true;
    await Promise.all(inFlight);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/^Backup written to /);

    // Secrets travel in the backup, never in its output; everything in it is private to its owner.
    const manifest = JSON.parse(await readFile(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest.secrets.included.sort()).toEqual(['admin-token', 'secret']);
    for (const text of [backup.stdout, backup.stderr, JSON.stringify(manifest)]) {
      expect(text).not.toContain(server.adminToken);
      expect(text).not.toContain(server.services.secrets.secret);
      expect(text).not.toContain(owner.key);
    }
    for (const file of ['manifest.json', 'database.sqlite', 'secrets/secret', 'secrets/admin-token']) {
      expect((await stat(path.join(backupDir, file))).mode & 0o777, file).toBe(0o600);
    }
    expect((await stat(backupDir)).mode & 0o777).toBe(0o700);

    const restoredDir = path.join(scratch, 'restored');
    const restore = await runLightbox(['restore', backupDir], { LIGHTBOX_DATA_DIR: restoredDir });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).not.toContain(server.adminToken);
    expect((await stat(path.join(restoredDir, 'secret'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(restoredDir, 'admin-token'))).mode & 0o777).toBe(0o600);

    const restored = await startTestServer({ LIGHTBOX_DATA_DIR: restoredDir });
    try {
      expect(restored.adminToken).toBe(server.adminToken);
      expect(restored.services.secrets.secret).toBe(server.services.secrets.secret);

      // The same key lists the media: every settled one and the uploads that landed before the snapshot; each
      // serves the bytes that were uploaded, under the same src path as on the original server.
      const media = await listAll(restored, owner.key);
      const ids = new Set(media.map((m) => m.id));
      for (const m of settled) expect(ids.has(m.id), m.id).toBe(true);
      const rows = await restored.services.store.db
        .selectFrom('media')
        .select(['id', 'account_id'])
        .execute();
      expect(rows.length).toBe(manifest.counts.media);
      expect(media.length).toBe(rows.filter((r) => r.account_id === owner.accountId).length);
      expect(media.length).toBeGreaterThan(settled.length);
      for (const m of media) {
        const bytes = await bytesAt(restored.url, m.src);
        expect(sha(bytes), m.id).toBe(uploadedBytes.get(m.id));
      }
      const original = await listAll(server, owner.key);
      const stillThere = new Map(original.map((m) => [m.id, m]));
      for (const m of media.filter((m) => stillThere.has(m.id))) {
        expect(pathAndQuery(m.src)).toBe(pathAndQuery(stillThere.get(m.id)?.src as string));
        expect(m.tags).toEqual(stillThere.get(m.id)?.tags);
      }
      expect(await bytesAt(restored.url, resultUrl)).toEqual(before.result);
      // Renditions are caches left out of the backup: rendered again, identically.
      expect(await bytesAt(restored.url, rendition)).toEqual(before.rendition);

      expect(await ledgerOf(restored, owner.accountId)).toEqual(before.ledger);
      expect(await ledgerViolations(restored.services.store.db, owner.accountId)).toEqual([]);
      const read = await restored.request(
        'GET',
        `/api/v1/product-image-enhancements/${batch.enhancement.id}`,
        {
          key: owner.key,
        },
      );
      expect(read.status).toBe(200);
      expect(read.body.enhancement.status).toBe('completed');
    } finally {
      await restored.close();
    }
  }, 120_000);

  it('refuses to restore into a data directory that is not empty, or from a damaged backup, and writes nothing', async () => {
    const owner = await enhancementAccount(server, books);
    await upload(server, await png(33, 33), { key: owner.key });
    const backupDir = path.join(scratch, 'backup-2');
    const backup = await runLightbox(['backup', backupDir], {
      LIGHTBOX_DATA_DIR: server.services.config.dataDir,
    });
    expect(backup.code, backup.stderr).toBe(0);

    const again = await runLightbox(['backup', backupDir], {
      LIGHTBOX_DATA_DIR: server.services.config.dataDir,
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is not empty/);
    expect(await readdir(backupDir)).toContain('manifest.json');

    const occupied = await mkdtemp(path.join(scratch, 'occupied-'));
    await writeFile(path.join(occupied, 'notes.txt'), 'mine');
    const refused = await runLightbox(['restore', backupDir], { LIGHTBOX_DATA_DIR: occupied });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not empty/);
    expect(await readdir(occupied)).toEqual(['notes.txt']);

    const blobFiles = (await readdir(path.join(backupDir, 'blobs', 'originals'))).sort();
    const victim = path.join(backupDir, 'blobs', 'originals', blobFiles[0] as string);
    const bytes = await readFile(victim);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(victim, bytes);
    const target = path.join(scratch, 'from-damaged');
    const damaged = await runLightbox(['restore', backupDir], { LIGHTBOX_DATA_DIR: target });
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/missing or damaged/);
    expect((await readdir(target).catch(() => [])).filter((f) => f !== 'lightbox.lock')).toEqual([]);

    const notABackup = await runLightbox(['restore', occupied], {
      LIGHTBOX_DATA_DIR: path.join(scratch, 'x'),
    });
    expect(notABackup.code).toBe(1);
    expect(notABackup.stderr).toMatch(/manifest\.json/);
  }, 60_000);

  it('migrate lists nothing pending on a current database, and applies nothing', async () => {
    const dry = await runLightbox(['migrate', '--dry-run'], {
      LIGHTBOX_DATA_DIR: server.services.config.dataDir,
    });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^Database at \d{4}-[a-z-]+; 0 pending migration\(s\)/);
    const apply = await runLightbox(['migrate'], { LIGHTBOX_DATA_DIR: server.services.config.dataDir });
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/^Applied 0 migration\(s\)\nDatabase at \d{4}-/);
  }, 30_000);
});

describe.skipIf(HTTP_SUITE_DIALECT === 'sqlite')('backup on PostgreSQL', () => {
  it('refuses and points at the documented procedure', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lightbox-backup-pg-'));
    try {
      const result = await runLightbox(['backup', path.join(dir, 'b')], {
        LIGHTBOX_DATA_DIR: dir,
        LIGHTBOX_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/pg_dump.*docs\/backups\.md/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
