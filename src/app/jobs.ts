import { START_JOB } from '../enhancements/create-enhancement.ts';
import { ITEM_JOB } from '../enhancements/enhancement-jobs.ts';
import { MAIL_JOB } from '../mail/smtp-mail.ts';
import { PYRAMID_JOB } from '../media/pyramid-job.ts';
import { DELIVER_JOB } from '../webhooks/webhook-delivery.ts';
import { MAINTENANCE_JOB } from './maintenance.ts';

/**
 * Every job the system runs (name, payload schema, attempts), each defined in the folder that owns it. The queue
 * is created with this list, and API and worker processes create it the same, so either can enqueue any job.
 */
export const JOB_SPECS = [MAINTENANCE_JOB, MAIL_JOB, PYRAMID_JOB, DELIVER_JOB, START_JOB, ITEM_JOB] as const;

export type AppJob = (typeof JOB_SPECS)[number];
