import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface ManifestEntry {
  sha256: string;
  id: string;
  src: string;
  url: string;
  file: string;
  at: string;
}

/**
 * What `lightbox upload` has uploaded to one server with one key, by content hash: a JSON line per upload, appended
 * the moment the server accepted it, so an interrupted run (Ctrl-C, a crash, a lost connection) resumes where it
 * stopped. A torn last line is ignored. The key is not in it: the file name is a hash of server and key.
 */
export class UploadManifest {
  private constructor(
    readonly file: string,
    private readonly entries: Map<string, ManifestEntry>,
  ) {}

  static async open(configDir: string, url: string, apiKey: string | undefined): Promise<UploadManifest> {
    const scope = createHash('sha256')
      .update(`${url}\n${apiKey ?? 'anonymous'}`)
      .digest('hex')
      .slice(0, 24);
    const file = path.join(configDir, 'uploads', `${scope}.jsonl`);
    const entries = new Map<string, ManifestEntry>();
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      try {
        const entry = JSON.parse(line) as ManifestEntry;
        if (typeof entry.sha256 === 'string' && typeof entry.id === 'string')
          entries.set(entry.sha256, entry);
      } catch {
        // an empty or torn line
      }
    }
    return new UploadManifest(file, entries);
  }

  lookup(sha256: string): ManifestEntry | undefined {
    return this.entries.get(sha256);
  }

  async record(entry: Omit<ManifestEntry, 'at'>): Promise<void> {
    const full = { ...entry, at: new Date().toISOString() };
    this.entries.set(entry.sha256, full);
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await appendFile(this.file, `${JSON.stringify(full)}\n`, { mode: 0o600 });
  }
}
