import { startWorker } from '../app/background.ts';
import { composeServices } from '../app/compose.ts';
import { DataDirInUse, type DataDirLock, lockDataDir } from '../app/data-dir-lock.ts';
import { createLogger } from '../app/logger.ts';
import { ConfigError } from '../config/config.ts';
import { unknownSettings } from '../config/unknown-settings.ts';
import { startMetricsListener } from '../http/metrics-endpoint.ts';
import { buildServer } from '../http/server.ts';
import { loadConfigOrExit, refuseToStart, withoutSecretValues } from './cli-config.ts';
import { type Drainable, shutDown } from './shutdown.ts';

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

  let services: Awaited<ReturnType<typeof composeServices>>;
  try {
    services = await composeServices(config, logger);
  } catch (error) {
    // Settings that only composition can judge (the segmentation model): refused like any other bad setting.
    if (error instanceof ConfigError) {
      lock.release();
      refuseToStart(withoutSecretValues(error.message));
    }
    throw error;
  }
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
  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>>;
  try {
    metricsListener = await startMetricsListener(services);
  } catch (error) {
    await app.close();
    await services.close();
    lock.release();
    refuseToStart(
      `the metrics port could not be opened (LIGHTBOX_METRICS_HOST:PORT ${config.metricsHost}:${config.metricsPort}): ${(error as Error).message}`,
    );
  }
  const stopWorker = role === 'api' ? async () => {} : startWorker(services);
  app.log.info(
    { address, role, database: config.database.kind, metrics: metricsListener?.url },
    'lightbox listening',
  );
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

  const parts: Drainable = {
    http: app,
    worker: stopWorker,
    metrics: metricsListener,
    backends: services,
    log: app.log,
  };
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal while requests drain: the operator wants out now.
      app.log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    void shutDown(parts, { signal, graceMs: config.shutdownGraceSeconds * 1000 }).then((code) => {
      lock.release();
      process.exit(code);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
