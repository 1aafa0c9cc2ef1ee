import type { Kysely, Migration } from 'kysely';

/**
 * Dashboard sign-in (docs/web.md): one-time sign-in links and server-side sessions. Only SHA-256 hashes of link
 * tokens and session ids are stored, so a copy of the database signs no one in.
 */
export const webSessions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('web_sign_in_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
      // Where the person was going when they were asked to sign in (a path on this server).
      .addColumn('next_path', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      // Set by the one request that spends the link; a second one finds it set and is refused.
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('web_sign_in_tokens_expiry')
      .on('web_sign_in_tokens')
      .columns(['expires_at'])
      .execute();

    await db.schema
      .createTable('web_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      // `owner`: an account owner signed in by mail. Other kinds (operators) get their own value.
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      // Idle expiry counts from here; written at most once a minute per session.
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      // Absolute expiry: created_at + LIGHTBOX_SESSION_MAX_HOURS.
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('web_sessions_account').on('web_sessions').columns(['account_id']).execute();
    await db.schema.createIndex('web_sessions_expiry').on('web_sessions').columns(['expires_at']).execute();
  },
};
