// The read answers of docs/api.md §3.3 as schemas: the OpenAPI document shows them (fields, the warning codes),
// and Fastify serialises `GET …/{id}` and the list with them. `enhancement-view.ts` builds the values.
import { type Static, Type } from '@sinclair/typebox';
import { ENHANCE_WARNING_CODES, ENHANCE_WARNINGS } from '../imaging/enhance/warnings.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const Iso = Type.String({ format: 'date-time' });

const ItemWarningSchema = Type.Object(
  {
    code: Type.Unsafe<string>({
      type: 'string',
      enum: [...ENHANCE_WARNING_CODES],
      description: ENHANCE_WARNING_CODES.map((code) => `\`${code}\`: ${ENHANCE_WARNINGS[code]}`).join('\n'),
    }),
    message: Type.String({ description: 'About this image, numbers included.' }),
  },
  {
    description:
      'What the pipeline did or could not do well on this item. A completed item may carry warnings; failed ' +
      'and unfinished items have none. Clients that do not know a code can show the message.',
  },
);

export const ItemSchema = Type.Object({
  id: Type.String(),
  external_id: Nullable(Type.String()),
  source_url: Type.String(),
  status: Type.Union(['queued', 'processing', 'completed', 'failed'].map((s) => Type.Literal(s))),
  result_url: Nullable(Type.String()),
  thumbnail_url: Nullable(Type.String()),
  error_code: Nullable(Type.String()),
  error_message: Nullable(Type.String()),
  credits_reserved: Type.Integer(),
  credits_used: Type.Integer(),
  warnings: Type.Array(ItemWarningSchema, {
    description: 'Lightbox extension; `[]` when there is nothing to say.',
  }),
});

export const EnhancementSummarySchema = Type.Object({
  id: Type.String(),
  status: Type.Union(
    ['queued', 'processing', 'completed', 'partially_completed', 'failed'].map((s) => Type.Literal(s)),
  ),
  preset: Type.String(),
  preservation_level: Type.String(),
  total_items: Type.Integer(),
  completed_items: Type.Integer(),
  failed_items: Type.Integer(),
  items_with_warnings: Type.Integer({
    description: 'Lightbox extension: completed items that carry at least one warning.',
  }),
  credits_reserved: Type.Integer(),
  credits_used: Type.Integer(),
  sandbox: Type.Boolean(),
  created_at: Iso,
  completed_at: Nullable(Iso),
});

export const EnhancementAnswerSchema = Type.Object({
  enhancement: Type.Composite([EnhancementSummarySchema, Type.Object({ items: Type.Array(ItemSchema) })]),
  request_id: Type.String(),
});

export const EnhancementListSchema = Type.Object({
  enhancements: Type.Array(EnhancementSummarySchema, { description: 'Summaries, without `items`.' }),
  next_cursor: Nullable(Type.String()),
  request_id: Type.String(),
});

export type ItemViewShape = Static<typeof ItemSchema>;
export type EnhancementSummaryShape = Static<typeof EnhancementSummarySchema>;
