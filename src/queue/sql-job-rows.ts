import type { ExpressionBuilder } from 'kysely';
import type { Database, JobsTable } from '../store/database.ts';
import type { Db } from '../store/store.ts';

/** The statements of the embedded queue. Each is one portable statement: no dialect branches, no transactions. */

export type NewJobRow = Omit<JobsTable, 'status' | 'attempts' | 'lease_until' | 'lease_token' | 'last_error'>;

export type ClaimedJob = Pick<
  JobsTable,
  'id' | 'name' | 'payload' | 'attempts' | 'max_attempts' | 'last_error'
> & {
  token: string;
  leaseUntil: number;
};

/** Due and waiting, or running under a lease that has run out (its worker is gone). */
const claimable = (now: number) => (eb: ExpressionBuilder<Database, 'jobs'>) =>
  eb.or([
    eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]),
    eb.and([eb('status', '=', 'running'), eb('lease_until', '<', now)]),
  ]);

/** Inserts the job, or returns the existing one with the same name and dedupe key. */
export async function insertJob(db: Db, row: NewJobRow): Promise<string> {
  const values = { ...row, status: 'queued' as const, attempts: 0 };
  if (row.dedupe_key === null) {
    await db.insertInto('jobs').values(values).execute();
    return row.id;
  }
  // The holder of the key can finish (and be deleted) between the two statements; then the insert is retried.
  for (let round = 0; round < 5; round++) {
    const inserted = await db
      .insertInto('jobs')
      .values(values)
      .onConflict((oc) => oc.columns(['name', 'dedupe_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) return row.id;
    const existing = await db
      .selectFrom('jobs')
      .select('id')
      .where('name', '=', row.name)
      .where('dedupe_key', '=', row.dedupe_key)
      .executeTakeFirst();
    if (existing) return existing.id;
  }
  throw new Error(`could not insert or find job ${row.name}/${row.dedupe_key}`);
}

export async function findClaimable(db: Db, names: string[], now: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('id')
    .where('name', 'in', names)
    .where(claimable(now))
    .orderBy('run_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Takes the job if it is still claimable. The condition is re-checked by the UPDATE itself: on PostgreSQL a
 * concurrent claimer waits for the row lock and then sees the new lease, so exactly one worker gets the row.
 */
export async function claimJob(
  db: Db,
  id: string,
  now: number,
  leaseMs: number,
  token: string,
): Promise<ClaimedJob | undefined> {
  const leaseUntil = now + leaseMs;
  const row = await db
    .updateTable('jobs')
    .set((eb) => ({
      status: 'running',
      attempts: eb('attempts', '+', 1),
      lease_until: leaseUntil,
      lease_token: token,
      updated_at: now,
    }))
    .where('id', '=', id)
    .where(claimable(now))
    .returning(['id', 'name', 'payload', 'attempts', 'max_attempts', 'last_error'])
    .executeTakeFirst();
  return (
    row && {
      ...row,
      attempts: Number(row.attempts),
      max_attempts: Number(row.max_attempts),
      token,
      leaseUntil,
    }
  );
}

/** False when the lease is no longer ours (it expired and another worker claimed the job). */
export async function extendLease(db: Db, id: string, token: string, leaseUntil: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_until: leaseUntil, updated_at: Date.now() })
    .where('id', '=', id)
    .where('lease_token', '=', token)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteJob(db: Db, id: string, token: string): Promise<void> {
  await db.deleteFrom('jobs').where('id', '=', id).where('lease_token', '=', token).execute();
}

/** Back to waiting, to run at `runAt`; `lastError` undefined keeps the previous one. */
export async function requeueJob(
  db: Db,
  job: { id: string; token: string; runAt: number; lastError?: string },
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({
      status: 'queued',
      run_at: job.runAt,
      lease_until: null,
      lease_token: null,
      updated_at: Date.now(),
      ...(job.lastError === undefined ? {} : { last_error: job.lastError }),
    })
    .where('id', '=', job.id)
    .where('lease_token', '=', job.token)
    .execute();
}

/** Dead: never claimed again, kept for inspection (and holding its dedupe key). */
export async function buryJob(db: Db, job: { id: string; token: string; lastError: string }): Promise<void> {
  await db
    .updateTable('jobs')
    .set({
      status: 'dead',
      lease_until: null,
      lease_token: null,
      last_error: job.lastError,
      updated_at: Date.now(),
    })
    .where('id', '=', job.id)
    .where('lease_token', '=', job.token)
    .execute();
}

/** The newest dead jobs of these names (the `jobs_due` index starts with the status). */
export async function listDeadJobs(db: Db, names: string[], limit: number) {
  if (names.length === 0) return [];
  return db
    .selectFrom('jobs')
    .select(['id', 'name', 'attempts', 'last_error', 'updated_at'])
    .where('status', '=', 'dead')
    .where('name', 'in', names)
    .orderBy('updated_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Jobs per name and status, and per name the due ones with the earliest due time: two grouped reads. */
export async function countJobs(
  db: Db,
  names: string[],
  now: number,
): Promise<{
  byStatus: { name: string; status: JobsTable['status']; count: number }[];
  due: { name: string; count: number; oldestRunAt: number }[];
}> {
  if (names.length === 0) return { byStatus: [], due: [] };
  const [byStatus, due] = await Promise.all([
    db
      .selectFrom('jobs')
      .select(['name', 'status', (eb) => eb.fn.countAll().as('count')])
      .where('name', 'in', names)
      .groupBy(['name', 'status'])
      .execute(),
    db
      .selectFrom('jobs')
      .select(['name', (eb) => eb.fn.countAll().as('count'), (eb) => eb.fn.min('run_at').as('oldest')])
      .where('status', '=', 'queued')
      .where('run_at', '<=', now)
      .where('name', 'in', names)
      .groupBy('name')
      .execute(),
  ]);
  return {
    byStatus: byStatus.map((r) => ({ name: r.name, status: r.status, count: Number(r.count) })),
    due: due.map((r) => ({ name: r.name, count: Number(r.count), oldestRunAt: Number(r.oldest) })),
  };
}
