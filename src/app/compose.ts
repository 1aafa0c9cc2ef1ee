import type { VerificationHook } from '../accounts/link-actions.ts';
import { createSignedLinks, type SignedLinks } from '../accounts/signed-links.ts';
import type { Config } from '../config/config.ts';
import type { RateLimiter } from '../limiter/limiter.ts';
import { createMemoryLimiter } from '../limiter/memory-limiter.ts';
import type { Mailer } from '../mail/mailer.ts';
import { createOutboxMailer } from '../mail/outbox-mailer.ts';
import { openStore, type Store } from '../store/store.ts';
import type { Logger } from './logger.ts';
import { loadSecrets, type Secrets } from './secrets.ts';

export interface Services {
  config: Readonly<Config>;
  logger: Logger;
  secrets: Secrets;
  store: Store;
  limiter: RateLimiter;
  mailer: Mailer;
  links: SignedLinks;
  /** Idempotent follow-ups of an email verification, registered by the domains that care. */
  onEmailVerified: VerificationHook[];
  /** What `/readyz` probes: every backend the server needs to answer. */
  readiness: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

/** The composition root: the one place that picks a backend for each port. */
export async function composeServices(config: Readonly<Config>, logger: Logger): Promise<Services> {
  const secrets = await loadSecrets(config);
  const store = await openStore(config.database);
  const limiter = createMemoryLimiter();
  const mailer = createOutboxMailer(store, logger);
  const links = createSignedLinks({
    secret: secrets.secret,
    publicUrl: config.publicUrl,
    ttlSeconds: config.linkTtlSeconds,
  });
  return {
    config,
    logger,
    secrets,
    store,
    limiter,
    mailer,
    links,
    onEmailVerified: [],
    readiness: { store: () => store.ping() },
    async close() {
      await limiter.close();
      await store.close();
    },
  };
}
