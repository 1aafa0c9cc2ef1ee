import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomToken } from '../lib/ids.ts';

export interface Secrets {
  adminToken: string;
  secret: string;
  /** Set when this start generated the admin token, so the entry point prints it once. */
  generatedAdminToken: boolean;
}

/** The files of the data directory that hold generated secrets (0600); a backup carries them along. */
export const SECRET_FILES = { adminToken: 'admin-token', secret: 'secret' } as const;

/** Configured values win; otherwise each secret is generated once and kept (0600) in the data directory. */
export async function loadSecrets(config: {
  dataDir: string;
  adminToken: string | undefined;
  secret: string | undefined;
}): Promise<Secrets> {
  await mkdir(config.dataDir, { recursive: true });
  const admin = config.adminToken
    ? { value: config.adminToken, generated: false }
    : await readOrCreate(
        path.join(config.dataDir, SECRET_FILES.adminToken),
        () => `lbadm_${randomToken(24)}`,
      );
  const secret = config.secret
    ? { value: config.secret, generated: false }
    : await readOrCreate(path.join(config.dataDir, SECRET_FILES.secret), () => randomToken(32));
  return { adminToken: admin.value, secret: secret.value, generatedAdminToken: admin.generated };
}

async function readOrCreate(
  file: string,
  make: () => string,
): Promise<{ value: string; generated: boolean }> {
  try {
    const value = (await readFile(file, 'utf8')).trim();
    if (value) return { value, generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = make();
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${value}\n`, { mode: 0o600 });
  await rename(temp, file);
  return { value, generated: true };
}
