import { Type } from '@sinclair/typebox';
import { operation } from '../openapi/operation.ts';
import { component, IdParam, IsoInstant, Nullable, ref, StringEnum, TextEnum } from './common.ts';

/** Operator API (`/admin/v1`, docs/api.md §4): request and response schemas. Nested error envelope. */

const Policy = Type.Union([Type.Literal('open'), Type.Literal('approval'), Type.Literal('closed')]);
const Instant = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const Environment = Type.Union([Type.Literal('live'), Type.Literal('test')]);
const KeyStatus = StringEnum(['active', 'inactive', 'pending_approval', 'revoked'] as const);
const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100 });

const Account = component(
  'Account',
  Type.Object({
    id: Type.String(),
    email: Type.String(),
    email_verified: Type.Boolean(),
    plan: Type.String(),
    registration_policy: StringEnum(['open', 'approval', 'closed'] as const, {
      description: 'What `POST /v1/keys` does for this verified account: `open`, `approval` or `closed`.',
    }),
    suspended: Type.Boolean(),
    payment_risk: Type.Boolean(),
    credits: Type.Object({
      paid_available: Type.Integer(),
      paid_reserved: Type.Integer(),
      lifetime_purchased: Type.Integer(),
      promotional: Type.Integer(),
    }),
    created_at: IsoInstant(),
  }),
);

const LedgerEntry = component(
  'LedgerEntry',
  Type.Object({
    id: Type.String(),
    type: TextEnum(['grant', 'reserve', 'consume', 'release']),
    kind: TextEnum(['purchased', 'promotional']),
    amount: Type.Integer({ description: 'Signed.' }),
    balance_after: Type.Integer(),
    enhancement_id: Nullable(Type.String()),
    note: Nullable(Type.String()),
    created_at: IsoInstant(),
  }),
);

const ApiKey = component(
  'ApiKey',
  Type.Object(
    {
      key_id: Type.String(),
      account_id: Type.String(),
      name: Type.String(),
      hint: Type.String({ description: 'The first characters of the key, to tell keys apart.' }),
      environment: StringEnum(['live', 'test'] as const),
      status: KeyStatus,
      expires_at: Nullable(IsoInstant()),
      last_used_at: Nullable(IsoInstant({ description: 'Written at most once a minute.' })),
      created_at: IsoInstant(),
    },
    { description: 'A key; its secret is never readable after creation.' },
  ),
);

const MintedKey = Type.Object({
  key: Type.String({ description: 'The key, shown only this once.' }),
  key_id: Type.String(),
  environment: StringEnum(['live', 'test'] as const),
  status: KeyStatus,
  expires_at: Nullable(IsoInstant()),
});

const WebhookDelivery = component(
  'WebhookDelivery',
  Type.Object({
    id: Type.String({ description: 'The event id (`evt_…`).' }),
    type: Type.String({ description: 'The event type, e.g. `enhancement.item.completed`.' }),
    enhancement_id: Type.String(),
    account_id: Type.String(),
    endpoint_url: Type.String(),
    status: StringEnum(['pending', 'delivered', 'failed'] as const),
    attempts: Type.Integer({ minimum: 0 }),
    next_attempt_at: Nullable(IsoInstant()),
    delivered_at: Nullable(IsoInstant()),
    created_at: IsoInstant(),
    attempt_log: Type.Array(
      Type.Object({
        attempt: Type.Integer({ minimum: 1 }),
        outcome: StringEnum(['delivered', 'http_error', 'blocked', 'timeout', 'unreachable'] as const),
        status_code: Nullable(Type.Integer()),
        latency_ms: Type.Integer({ minimum: 0 }),
        error: Nullable(Type.String()),
        response_excerpt: Nullable(Type.String()),
        at: IsoInstant(),
      }),
    ),
  }),
);

const OutboxMessage = component(
  'OutboxMessage',
  Type.Object({
    id: Type.String(),
    to: Type.String(),
    subject: Type.String(),
    text: Type.String(),
    links: Type.Array(Type.Object({ rel: Type.String(), url: Type.String() })),
    created_at: IsoInstant(),
    sent_at: Nullable(IsoInstant({ description: 'When SMTP accepted it; `null` while only in the outbox.' })),
  }),
);

const AccountId = IdParam(64, 'The account id.');
const KeyId = Type.Object({ key_id: Type.String({ maxLength: 64 }) });
const dataOf = <T extends Parameters<typeof ref>[0]>(schema: T) =>
  Type.Object({ data: Type.Array(ref(schema)) });

export const adminSchemas = {
  createAccount: operation({
    tag: 'Operator',
    operationId: 'createAccount',
    summary: 'Create an account',
    auth: 'adminToken',
    request: {
      body: Type.Object(
        {
          email: Type.String({ format: 'email', maxLength: 254 }),
          plan: Type.Optional(
            Type.String({ description: 'A plan name (LIGHTBOX_PLANS); default the default plan.' }),
          ),
          email_verified: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    },
    responses: { 201: { description: 'The new account.', schema: ref(Account) } },
    errors: ['conflict'],
  }),

  listAccounts: operation({
    tag: 'Operator',
    operationId: 'listAccounts',
    summary: 'List accounts, newest first',
    auth: 'adminToken',
    request: { querystring: Type.Object({ email: Type.Optional(Type.String()), limit: Limit }) },
    responses: { 200: { description: 'Accounts.', schema: dataOf(Account) } },
  }),

  getAccount: operation({
    tag: 'Operator',
    operationId: 'getAccount',
    summary: 'Get an account',
    auth: 'adminToken',
    request: { params: AccountId },
    responses: { 200: { description: 'The account.', schema: ref(Account) } },
    errors: ['not_found'],
  }),

  updateAccount: operation({
    tag: 'Operator',
    operationId: 'updateAccount',
    summary: 'Change an account (plan, flags, registration policy)',
    description:
      'Setting `email_verified: true` has the consequences of a verified email (uploads become permanent).',
    auth: 'adminToken',
    request: {
      params: AccountId,
      body: Type.Object(
        {
          plan: Type.Optional(Type.String()),
          suspended: Type.Optional(Type.Boolean()),
          payment_risk: Type.Optional(Type.Boolean()),
          email_verified: Type.Optional(Type.Boolean()),
          registration_policy: Type.Optional(Policy),
        },
        { additionalProperties: false },
      ),
    },
    responses: { 200: { description: 'The account.', schema: ref(Account) } },
    errors: ['not_found'],
  }),

  grantCredits: operation({
    tag: 'Operator',
    operationId: 'grantCredits',
    summary: 'Grant credits (a ledger entry)',
    auth: 'adminToken',
    request: {
      params: AccountId,
      body: Type.Object(
        {
          amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
          kind: Type.Union([Type.Literal('purchased'), Type.Literal('promotional')], {
            description: 'Promotional credits never pay for live API work.',
          }),
          note: Type.Optional(Type.String({ maxLength: 500 })),
        },
        { additionalProperties: false },
      ),
    },
    responses: {
      201: {
        description: 'The entry and the account after it.',
        schema: Type.Object({ entry: ref(LedgerEntry), account: ref(Account) }),
      },
    },
    errors: ['not_found'],
  }),

  listLedger: operation({
    tag: 'Operator',
    operationId: 'listLedger',
    summary: 'An account’s credit ledger, newest first',
    auth: 'adminToken',
    request: {
      params: AccountId,
      querystring: Type.Object({
        limit: Limit,
        before: Type.Optional(
          Type.String({ maxLength: 64, description: 'Entries older than this entry id.' }),
        ),
      }),
    },
    responses: { 200: { description: 'Ledger entries.', schema: dataOf(LedgerEntry) } },
    errors: ['not_found'],
  }),

  createKey: operation({
    tag: 'Operator',
    operationId: 'createAccountKey',
    summary: 'Mint an API key for an account',
    auth: 'adminToken',
    request: {
      params: AccountId,
      body: Type.Object(
        {
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          environment: Environment,
          expires_at: Type.Optional(Instant),
        },
        { additionalProperties: false },
      ),
    },
    responses: { 201: { description: 'The key (shown only once).', schema: MintedKey } },
    errors: ['not_found'],
  }),

  listKeys: operation({
    tag: 'Operator',
    operationId: 'listKeys',
    summary: 'List keys, newest first',
    auth: 'adminToken',
    request: { querystring: Type.Object({ account_id: Type.Optional(Type.String()) }) },
    responses: { 200: { description: 'Keys.', schema: dataOf(ApiKey) } },
  }),

  updateKey: operation({
    tag: 'Operator',
    operationId: 'updateKey',
    summary: 'Change a key’s status or expiry',
    description:
      'A revoked key cannot be reactivated (400 `invalid_payload`). `expires_at: null` clears the expiry.',
    auth: 'adminToken',
    request: {
      params: KeyId,
      body: Type.Object(
        {
          status: Type.Optional(
            Type.Union([Type.Literal('active'), Type.Literal('inactive'), Type.Literal('revoked')]),
          ),
          expires_at: Type.Optional(Instant),
        },
        { additionalProperties: false },
      ),
    },
    responses: { 200: { description: 'The key.', schema: ref(ApiKey) } },
    errors: ['not_found'],
  }),

  deleteKey: operation({
    tag: 'Operator',
    operationId: 'deleteKey',
    summary: 'Delete a key',
    auth: 'adminToken',
    request: { params: KeyId },
    responses: {
      200: {
        description: 'Deleted.',
        schema: Type.Object({ key_id: Type.String(), deleted: Type.Literal(true) }),
      },
    },
    errors: ['not_found'],
  }),

  listWebhookDeliveries: operation({
    tag: 'Operator',
    operationId: 'listWebhookDeliveries',
    summary: 'Webhook events with every delivery attempt',
    auth: 'adminToken',
    request: {
      querystring: Type.Object({
        enhancement_id: Type.Optional(Type.String({ maxLength: 64 })),
        limit: Limit,
      }),
    },
    responses: { 200: { description: 'Events, newest first.', schema: dataOf(WebhookDelivery) } },
  }),

  redeliverWebhook: operation({
    tag: 'Operator',
    operationId: 'redeliverWebhook',
    summary: 'Send a webhook event again now (same id and body)',
    auth: 'adminToken',
    request: { params: IdParam(64, 'The event id.') },
    responses: {
      202: {
        description: 'Queued for delivery.',
        schema: Type.Object({
          id: Type.String(),
          status: StringEnum(['pending'] as const),
          redelivery: Type.Literal(true),
        }),
      },
    },
    errors: ['not_found'],
  }),

  listOutbox: operation({
    tag: 'Operator',
    operationId: 'listOutbox',
    summary: 'Mail the server sent (or will send), newest first',
    auth: 'adminToken',
    request: { querystring: Type.Object({ to: Type.Optional(Type.String()), limit: Limit }) },
    responses: { 200: { description: 'Messages.', schema: dataOf(OutboxMessage) } },
  }),
};

export const adminComponents = [Account, LedgerEntry, ApiKey, WebhookDelivery, OutboxMessage];
