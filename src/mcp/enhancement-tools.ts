import { z } from 'zod';
import { defineTool, type McpTool } from './tool-registry.ts';

/** A status call may wait this long at most, so one tool call never holds a connection for minutes. */
const MAX_WAIT_SECONDS = 120;

const presets = defineTool({
  name: 'enhancement_presets',
  title: 'List enhancement presets',
  description: 'The product-image presets create_enhancement accepts, with what each produces.',
  input: {},
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (_args, { client }) => client.enhancements.presets(),
});

const create = defineTool({
  name: 'create_enhancement',
  title: 'Enhance product images',
  description:
    'Starts a batch that turns 1–20 product photos (public JPEG, PNG or WebP URLs) into catalogue images: the ' +
    'product cut out onto white, centred. Live keys spend 5 paid credits per image; test keys run a free ' +
    'sandbox. Returns the batch id; follow it with enhancement_status. Pass the same idempotency_key again to ' +
    'get the same batch instead of a second one (a key is generated and returned when omitted).',
  input: {
    images: z
      .array(
        z.object({
          source_url: z.string().min(1).max(2048).describe('Public http(s) URL of the photo.'),
          external_id: z.string().max(255).optional().describe('Your id for the item (a SKU).'),
        }),
      )
      .min(1)
      .max(20),
    preset: z
      .string()
      .optional()
      .describe('Default single_product_white_background (see enhancement_presets).'),
    preservation_level: z.enum(['strict', 'balanced', 'creative']).optional().describe('Default strict.'),
    instructions: z.string().min(1).max(4000).optional(),
    webhook_url: z.string().max(2048).optional().describe('Public HTTPS URL to receive signed events.'),
    idempotency_key: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{8,160}$/)
      .optional()
      .describe('8–160 of A-Z a-z 0-9 . _ : -'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run({ idempotency_key, ...body }, { client }) {
    const created = await client.enhancements.create(
      body,
      idempotency_key ? { idempotencyKey: idempotency_key } : {},
    );
    const { idempotencyKey, replayed, ...answer } = created;
    return { ...answer, idempotency_key: idempotencyKey, replayed };
  },
});

const status = defineTool({
  name: 'enhancement_status',
  title: 'Enhancement status',
  description:
    'A batch with its items: status (queued, processing, completed, partially_completed, failed), result_url ' +
    'and thumbnail_url of completed items, error_code of failed ones, warnings. With wait_seconds, waits up ' +
    `to that long (at most ${MAX_WAIT_SECONDS}) for the batch to finish first.`,
  input: {
    id: z.string().min(1).max(200).describe('The enhancement id (a UUID).'),
    wait_seconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).optional(),
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ id, wait_seconds }, { client }) {
    if (!wait_seconds) return client.enhancements.get(id);
    const deadline = Date.now() + wait_seconds * 1000;
    // Not `wait()`: running out of time is an answer here (the current status), not an error.
    for (;;) {
      const answer = await client.enhancements.get(id);
      const done = ['completed', 'partially_completed', 'failed'].includes(answer.enhancement.status);
      if (done || Date.now() + 1000 > deadline) return answer;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  },
});

const list = defineTool({
  name: 'list_enhancements',
  title: 'List enhancements',
  description: 'Batches of the key, newest first, as summaries. Pass next_cursor back as cursor for more.',
  input: {
    status: z.enum(['queued', 'processing', 'completed', 'partially_completed', 'failed']).optional(),
    limit: z.number().int().min(1).max(100).optional().describe('Default 20.'),
    cursor: z.string().optional(),
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  run: (query, { client }) => client.enhancements.list(query),
});

export const ENHANCEMENT_TOOLS: readonly McpTool[] = [presets, create, status, list];
