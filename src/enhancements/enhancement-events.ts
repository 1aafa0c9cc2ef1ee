import type { EnhancementItemsTable, EnhancementsTable } from '../store/database.ts';
import type { Tx } from '../store/store.ts';

export type EnhancementEvent =
  | {
      type: 'enhancement.item.completed' | 'enhancement.item.failed';
      enhancement: EnhancementsTable;
      item: EnhancementItemsTable;
    }
  | {
      type: 'enhancement.completed' | 'enhancement.partially_completed' | 'enhancement.failed';
      enhancement: EnhancementsTable;
    };

/**
 * Where lifecycle events go (webhooks). `record` runs inside the transaction that made the change, so an event
 * exists exactly when its change does; `dispatch` runs after commit and may be lost in a crash, which is why
 * recorded-but-undispatched events must be recoverable by the sink itself.
 */
export interface EnhancementEventSink {
  record(tx: Tx, event: EnhancementEvent): Promise<string[]>;
  dispatch(eventIds: string[]): Promise<void>;
}
