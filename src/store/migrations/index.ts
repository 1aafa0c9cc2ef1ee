import type { Migration } from 'kysely';
import { accountsKeysLedger } from './0001-accounts-keys-ledger.ts';
import { media } from './0002-media.ts';
import { enhancements } from './0003-enhancements.ts';
import { jobs } from './0004-jobs.ts';
import { webhooks } from './0005-webhooks.ts';
import { mediaLevels } from './0006-media-levels.ts';
import { renditionCache } from './0007-rendition-cache.ts';
import { itemWarnings } from './0008-item-warnings.ts';
import { webSessions } from './0009-web-sessions.ts';
import { operatorStatus } from './0011-operator-status.ts';
import { scaleIndexes } from './0012-scale-indexes.ts';
import { enhancementPages } from './0013-enhancement-pages.ts';
import { rebuildPyramidLevels } from './0014-rebuild-pyramid-levels.ts';
import { rawPyramidLevels } from './0015-raw-pyramid-levels.ts';

/** Ordered by name; never edit a migration that has shipped, add the next one. */
export const migrations: Record<string, Migration> = {
  '0001-accounts-keys-ledger': accountsKeysLedger,
  '0002-media': media,
  '0003-enhancements': enhancements,
  '0004-jobs': jobs,
  '0005-webhooks': webhooks,
  '0006-media-levels': mediaLevels,
  '0007-rendition-cache': renditionCache,
  '0008-item-warnings': itemWarnings,
  '0009-web-sessions': webSessions,
  '0011-operator-status': operatorStatus,
  '0012-scale-indexes': scaleIndexes,
  '0013-enhancement-pages': enhancementPages,
  '0014-rebuild-pyramid-levels': rebuildPyramidLevels,
  '0015-raw-pyramid-levels': rawPyramidLevels,
};
