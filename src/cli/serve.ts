import { startWorker } from '../app/background.ts';
import { composeServices } from '../app/compose.ts';
import { DataDirInUse, type DataDirLock, lockDataDir } from '../app/data-dir-lock.ts';
import { createLogger } from '../app/logger.ts';
import { unknownSettings } from '../config/unknown-settings.ts';
import { buildServer } from '../http/server.ts';
import { loadConfigOrExit, refuseToStart } from './cli-config.ts';

export type Role = 'api' | 'worker' | 'all';

/** One line for the errors `listen` fails with that are about the setting, not a bug; undefined for any other. */
function listenProblem(error: unknown, host: string, port: number): string | undefined {
  const where = `LIGHTBOX_HOST:PORT ${host}:${port}`;
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return `port ${port} is in use (${where}); stop what listens there, or set PORT to a free port`;
    case 'EACCES':
      return `port ${port} needs privileges this process does not have (${where}); set PORT to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine (${where}); set LIGHTBOX_HOST to one of its addresses, or 0.0.0.0`;
    default:
      return undefined;
  }
}

/**
 * `lightbox serve`: load config (failing with every bad setting named), warn about unknown settings, take the
 * data directory, compose, listen, stop cleanly on SIGTERM/SIGINT.
 */
export async function serve(role: Role): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config);
  for (const unknown of unknownSettings()) {
    logger.warn({ setting: unknown.name, suggestion: unknown.suggestion }, unknown.message);
  }
  // Before anything touches the directory: composing wipes `<data>/tmp`, which a running server is using.
  let lock: DataDirLock;
  try {
    lock = lockDataDir(config.dataDir);
  } catch (error) {
    if (error instanceof DataDirInUse) refuseToStart(error.message);
    throw error;
  }

  const services = await composeServices(config, logger);
  const app = await buildServer(services);
  let address: string;
  try {
    address = await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    const problem = listenProblem(error, config.host, config.port);
    if (!problem) throw error;
    await app.close();
    await services.close();
    lock.release();
    refuseToStart(problem);
  }
  const stopWorker = role === 'api' ? async () => {} : startWorker(services);
  app.log.info({ address, role, database: config.database.kind }, 'lightbox listening');
  process.stdout.write(
    `\nLightbox is serving at ${config.publicUrl} (listening on ${address}, role ${role})\n`,
  );
  if (services.secrets.generatedAdminToken) {
    process.stdout.write(
      `Generated admin token (kept in ${config.dataDir}/admin-token): ${services.secrets.adminToken}\n\n`,
    );
  } else {
    process.stdout.write(
      `Admin token: ${config.adminToken ? 'from LIGHTBOX_ADMIN_TOKEN' : `${config.dataDir}/admin-token`}\n\n`,
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      // A second signal while requests drain: the operator wants out now.
      app.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    let code = 0;
    try {
      await app.close();
      await stopWorker();
      await services.close();
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      code = 1;
    }
    lock.release();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
