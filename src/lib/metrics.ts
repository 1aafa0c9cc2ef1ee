/**
 * The events domain code reports for the operator's metrics (docs/operations.md). The composition root gives each
 * module a `Metrics` backed by the Prometheus registry (`src/metrics/`); domain code never sees prom-client. Every
 * argument that becomes a label comes from a closed set (an outcome, a catalog code), never an id or a URL.
 */
export interface Metrics {
  /** Credits moved between buckets, after the transaction that moved them committed. */
  creditsMoved(movement: CreditMovement, amount: number): void;
  /** An enhancement item reached its terminal state; `code` is the item error code when it failed. */
  enhancementItemFinished(outcome: 'completed' | 'failed', code: string | null): void;
  /** One webhook delivery attempt, with the outcome recorded for it and how long it took. */
  webhookAttempt(outcome: string, latencyMs: number): void;
}

export type CreditMovement = 'reserved' | 'consumed' | 'released';
