import { startWorker } from '../app/background.ts';
import { composeServices } from '../app/compose.ts';
import { createLogger } from '../app/logger.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { buildServer } from '../http/server.ts';

export type Role = 'api' | 'worker' | 'all';

/** `lightbox serve`: load config (failing with every bad setting named), compose, listen, stop cleanly. */
export async function serve(role: Role): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const services = await composeServices(config, createLogger(config));
  const app = await buildServer(services);
  const stopWorker = role === 'api' ? async () => {} : startWorker(services);
  const address = await app.listen({ port: config.port, host: config.host });
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
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await stopWorker();
    await services.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
