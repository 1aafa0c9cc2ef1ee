import type { DatabaseConfig } from '../config/config.ts';
import type { OpenStoreOptions, Store } from './store.ts';

/** The store of `config`; each backend is imported only when chosen (the PostgreSQL driver stays unloaded). */
export async function openStore(config: DatabaseConfig, options: OpenStoreOptions = {}): Promise<Store> {
  switch (config.kind) {
    case 'sqlite': {
      const { openSqliteStore } = await import('./sqlite-store.ts');
      return openSqliteStore(config.file, options);
    }
    case 'postgres': {
      const { openPostgresStore } = await import('./postgres-store.ts');
      return openPostgresStore(config.url, options);
    }
    default: {
      const never: never = config;
      throw new Error(`unknown database kind ${JSON.stringify(never)}`);
    }
  }
}
