import { randomUUID } from 'node:crypto';
import { LightboxTimeoutError } from './errors.ts';
import { sleep, type Transport } from './transport.ts';
import {
  type CreatedEnhancement,
  type CreateEnhancementAnswer,
  type CreateEnhancementInput,
  type EnhancementAnswer,
  type EnhancementListQuery,
  type EnhancementPage,
  type EnhancementSummary,
  type PresetList,
  TERMINAL_STATUSES,
} from './types.ts';

const COLLECTION = '/api/v1/product-image-enhancements';

export interface WaitOptions {
  /** Between polls (default 2 s). Each poll spends the key's read rate (600 a minute by default). */
  intervalMs?: number;
  /** Give up after this long (default 10 minutes) with `LightboxTimeoutError`. */
  timeoutMs?: number;
  /** Called with every answer, the last (terminal) one included: live progress. */
  onUpdate?: (answer: EnhancementAnswer) => void;
  signal?: AbortSignal;
}

/** A fresh key in the documented alphabet (8–160 of `A-Z a-z 0-9 . _ : -`). */
export const newIdempotencyKey = (): string => `lbx_${randomUUID()}`;

/** The enhancement family (docs/api.md §3). */
export class EnhancementsApi {
  constructor(private readonly t: Transport) {}

  /** The presets (no key needed). */
  async presets(options: { signal?: AbortSignal } = {}): Promise<PresetList> {
    const { body } = await this.t.send<PresetList>({
      family: 'enhancement',
      method: 'GET',
      path: '/api/v1/product-image-enhancement-presets',
      auth: 'none',
      replay: 'safe',
      signal: options.signal,
    });
    return body;
  }

  /**
   * Creates a batch. Without `idempotencyKey` one is generated; every retry of this call sends the same key, so a
   * retried create never makes a second batch. Keep `idempotencyKey` of the result to replay it later yourself.
   */
  async create(
    input: CreateEnhancementInput,
    options: { idempotencyKey?: string; signal?: AbortSignal } = {},
  ): Promise<CreatedEnhancement> {
    const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
    const { body, headers } = await this.t.send<CreateEnhancementAnswer>({
      family: 'enhancement',
      method: 'POST',
      path: COLLECTION,
      headers: { 'idempotency-key': idempotencyKey },
      json: input,
      auth: 'required',
      replay: 'safe',
      signal: options.signal,
    });
    return { ...body, idempotencyKey, replayed: headers.get('idempotent-replayed') === 'true' };
  }

  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<EnhancementAnswer> {
    const { body } = await this.t.send<EnhancementAnswer>({
      family: 'enhancement',
      method: 'GET',
      path: `${COLLECTION}/${encodeURIComponent(id)}`,
      auth: 'required',
      replay: 'safe',
      signal: options.signal,
    });
    return body;
  }

  /** Summaries (without items), newest first. */
  async list(
    query: EnhancementListQuery = {},
    options: { signal?: AbortSignal } = {},
  ): Promise<EnhancementPage> {
    const { body } = await this.t.send<EnhancementPage>({
      family: 'enhancement',
      method: 'GET',
      path: COLLECTION,
      query: { limit: query.limit, cursor: query.cursor, status: query.status },
      auth: 'required',
      replay: 'safe',
      signal: options.signal,
    });
    return body;
  }

  /** Every batch matching the query, page after page. */
  async *iterate(query: Omit<EnhancementListQuery, 'cursor'> = {}): AsyncGenerator<EnhancementSummary> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.list({ ...query, cursor });
      yield* page.enhancements;
      if (!page.next_cursor) return;
      cursor = page.next_cursor;
    }
  }

  /** Polls until the batch is `completed`, `partially_completed` or `failed`, and returns that answer. */
  async wait(id: string, options: WaitOptions = {}): Promise<EnhancementAnswer> {
    const interval = options.intervalMs ?? 2_000;
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    for (;;) {
      const answer = await this.get(id, { signal: options.signal });
      options.onUpdate?.(answer);
      if (TERMINAL_STATUSES.includes(answer.enhancement.status)) return answer;
      if (Date.now() + interval > deadline) {
        throw new LightboxTimeoutError(`enhancement ${id} is still ${answer.enhancement.status}`);
      }
      await sleep(interval, options.signal);
    }
  }
}
