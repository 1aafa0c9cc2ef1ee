import type { EnhancementEvent } from '../enhancements/enhancement-events.ts';
import { enhancementSummary, itemView } from '../enhancements/enhancement-view.ts';
import type { Db } from '../store/store.ts';

/** The event body of docs/api.md §3.5: `{id, type, created_at, request_id, data: {enhancement, item?}}`. */
export async function eventBody(
  db: Db,
  srcBase: string,
  eventId: string,
  event: EnhancementEvent,
  createdAt: number,
): Promise<string> {
  const data: Record<string, unknown> = { enhancement: enhancementSummary(event.enhancement) };
  if ('item' in event) {
    const ids = [event.item.result_media_id, event.item.thumbnail_media_id].filter(
      (id): id is string => id !== null,
    );
    const tokens = ids.length
      ? await db.selectFrom('media').select(['id', 'token']).where('id', 'in', ids).execute()
      : [];
    const tokenOf = (id: string | null) => tokens.find((t) => t.id === id)?.token ?? null;
    data.item = itemView(srcBase, {
      ...event.item,
      result_token: tokenOf(event.item.result_media_id),
      thumbnail_token: tokenOf(event.item.thumbnail_media_id),
    });
  }
  return JSON.stringify({
    id: eventId,
    type: event.type,
    created_at: new Date(createdAt).toISOString(),
    request_id: event.enhancement.request_id,
    data,
  });
}
