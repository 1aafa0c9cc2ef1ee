import path from 'node:path';
import { MultiBar, type SingleBar } from 'cli-progress';
import type { LightboxClient } from '../../client/index.ts';
import { batchExitCode, batchJson, batchTable, type ItemResult, runBatch } from './batch.ts';
import { fieldsOf, type MediaFieldOptions } from './media-commands.ts';
import { bytes } from './output.ts';
import { type CommandRun, connect } from './session.ts';
import { expandPaths, type LocalFile, sha256OfFile } from './upload-files.ts';
import { type ManifestEntry, UploadManifest } from './upload-manifest.ts';

/** The upload's content hash, kept as metadata too, so the library itself says which file an image came from. */
const HASH_FIELD = 'content_sha256';

/** A bar per file and one overall on a terminal; a line per finished file otherwise (logs, CI). */
function progress(enabled: boolean, total: number) {
  if (!enabled) return null;
  const bars = new MultiBar({
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
    format: '{label} |{bar}| {percentage}% {detail}',
    barsize: 24,
  });
  const overall = bars.create(total, 0, { label: 'all files'.padEnd(28), detail: `0/${total} files` });
  let finished = 0;
  return {
    start(file: LocalFile): SingleBar {
      const name = path.basename(file.path);
      const label = name.length > 28 ? `${name.slice(0, 27)}…` : name.padEnd(28);
      return bars.create(Math.max(file.size, 1), 0, { label, detail: bytes(file.size) });
    },
    finish(bar: SingleBar | null) {
      if (bar) bars.remove(bar);
      overall.update(++finished, { detail: `${finished}/${total} files` });
    },
    stop: () => bars.stop(),
  };
}

/**
 * Entries of the manifest whose media still exist (one list request per 100 ids; one get each without a key):
 * a file whose image was deleted since is uploaded again.
 */
async function stillThere(
  client: LightboxClient,
  hasKey: boolean,
  entries: ManifestEntry[],
): Promise<Set<string>> {
  const alive = new Set<string>();
  const ids = [...new Set(entries.map((e) => e.id))];
  if (hasKey) {
    for (let at = 0; at < ids.length; at += 100) {
      const page = await client.media.list({ ids: ids.slice(at, at + 100), limit: 100 });
      for (const media of page.data) alive.add(media.id);
    }
    return alive;
  }
  for (const id of ids) {
    const media = await client.media.get(id).catch(() => null);
    if (media) alive.add(id);
  }
  return alive;
}

export const uploadCommand: CommandRun<MediaFieldOptions & { force?: boolean }> = async ({
  args,
  options,
  out,
}) => {
  const files = await expandPaths(args[0] as string[]);
  const { client, connection } = await connect(options, 'optional');
  const manifest = await UploadManifest.open(connection.configDir, connection.url, connection.apiKey);
  const hashes = new Map<string, string>();
  for (const file of files) hashes.set(file.path, await sha256OfFile(file.path));
  const known = options.force
    ? []
    : files
        .map((f) => manifest.lookup(hashes.get(f.path) ?? ''))
        .filter((e): e is ManifestEntry => e !== undefined);
  const alive =
    known.length > 0 ? await stillThere(client, Boolean(connection.apiKey), known) : new Set<string>();

  const fields = fieldsOf(options);
  const bars = progress(Boolean(process.stderr.isTTY) && !out.json, files.length);
  const results = await runBatch(
    files,
    options.concurrency,
    async (file): Promise<ItemResult> => {
      const sha256 = hashes.get(file.path) ?? '';
      const previous = options.force ? undefined : manifest.lookup(sha256);
      if (previous && alive.has(previous.id)) {
        bars?.finish(null);
        if (!bars) out.note(`skipped   ${file.path} (already uploaded as ${previous.id})`);
        return { source: file.path, status: 'skipped', media: previous };
      }
      const bar = bars?.start(file) ?? null;
      try {
        const media = await client.upload(file.path, {
          ...fields,
          metadata: { [HASH_FIELD]: sha256 },
          onProgress: (sent, total) =>
            bar?.update(Math.min(sent, file.size), { detail: `${bytes(sent)}/${bytes(total)}` }),
        });
        await manifest.record({
          sha256,
          id: media.id,
          src: media.src,
          url: media.url,
          file: path.resolve(file.path),
        });
        if (!bars) out.note(`uploaded  ${file.path} → ${media.id}`);
        return { source: file.path, status: 'uploaded', media };
      } catch (error) {
        if (!bars) out.note(`failed    ${file.path}`);
        return { source: file.path, status: 'failed', error };
      } finally {
        bars?.finish(bar);
      }
    },
    (file) => file.path,
  );
  bars?.stop();
  out.result({ ...batchJson(results), manifest: manifest.file }, () => batchTable(results));
  return batchExitCode(results);
};
