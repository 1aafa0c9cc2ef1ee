import { Type } from '@sinclair/typebox';
import { ownerUsage } from '../accounts/owner-usage.ts';
import { route } from './dashboard-route.ts';

/** The dashboard's usage and credits endpoints (docs/web.md). */
export const USAGE_API = [
  route({
    method: 'GET',
    path: '/usage',
    handle: ({ services, session }) => ownerUsage.summary(services, session.account),
  }),
  route({
    method: 'GET',
    path: '/usage/series',
    query: Type.Object(
      { days: Type.Integer({ minimum: 1, maximum: 366, default: 30 }) },
      { additionalProperties: false },
    ),
    handle: ({ services, session, query }) => ownerUsage.series(services, session.account, query.days),
  }),
  route({
    method: 'GET',
    path: '/credits/ledger',
    query: Type.Object(
      {
        limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
        before: Type.Optional(Type.String({ maxLength: 64 })),
      },
      { additionalProperties: false },
    ),
    handle: ({ services, session, query }) => ownerUsage.ledger(services, session.account, query),
  }),
];
