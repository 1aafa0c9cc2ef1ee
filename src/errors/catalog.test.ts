import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installErrorHandling } from '../http/error-handler.ts';
import { AppError } from './app-error.ts';
import { type CodeFamily, catalog, type ErrorCode, itemErrorCatalog } from './catalog.ts';
import { familyOf, renderError } from './render.ts';

const read = (relative: string) => readFileSync(new URL(relative, import.meta.url), 'utf8');
const ERRORS_DOC = read('../../docs/errors.md');

/**
 * The published error references of both families and the contract's item error codes, transcribed into the
 * repository (see the fixture's `$comment`): the catalog must match them exactly.
 */
interface PublishedErrors {
  enhancement: {
    codes: { code: string; status: number; group: string; handling: string }[];
    item_codes: { code: string; handling: string }[];
  };
  hosting: {
    codes: {
      code: string;
      statuses: number[];
      meaning: string;
      examples: { message: string; action: string | null }[];
    }[];
  };
  contract: { item_error_codes: string[] };
}
const PUBLISHED = JSON.parse(read('./fixtures/published-errors.json')) as PublishedErrors;

const codes = Object.keys(catalog) as ErrorCode[];
const isCode = (code: string): code is ErrorCode => code in catalog;

describe('the catalog agrees with the published error references', () => {
  const enhancement = PUBLISHED.enhancement;
  const hosting = PUBLISHED.hosting;

  it('the fixture holds every published code (guards against a truncated transcription)', () => {
    expect(enhancement.codes).toHaveLength(23);
    expect(enhancement.item_codes).toHaveLength(7);
    expect(hosting.codes).toHaveLength(13);
    for (const { code, examples } of hosting.codes) expect(examples.length, code).toBeGreaterThanOrEqual(1);
    expect(PUBLISHED.contract.item_error_codes).toHaveLength(10);
  });

  it('every enhancement code is in the catalog, enhancement family, same status and handling', () => {
    for (const { code, status, handling } of enhancement.codes) {
      expect(isCode(code), code).toBe(true);
      const entry = catalog[code as ErrorCode];
      expect([code, entry.family]).toEqual([code, 'enhancement']);
      expect([code, entry.status]).toEqual([code, status]);
      expect([code, entry.handling]).toEqual([code, handling]);
    }
  });

  it('every hosting code is in the catalog, hosting family (or shared), with a published status', () => {
    for (const { code, statuses } of hosting.codes) {
      expect(isCode(code), code).toBe(true);
      const entry = catalog[code as ErrorCode];
      expect(['hosting', 'shared'], code).toContain(entry.family);
      expect(statuses, code).toContain(entry.status);
      // Every status the reference allows can be produced (e.g. fetch_failed 504 via the status override).
      for (const status of statuses) {
        const rendered = renderError(new AppError(code as ErrorCode, { status }), 'hosting', 'req_1');
        expect([code, rendered.status, rendered.body.error]).toEqual([code, status, code]);
      }
    }
  });

  it('hosting default messages and action types are the published ones', () => {
    // These codes' published examples are situational ("Media not found", "URL returned 404", …): the domain passes
    // its own message, so the catalog default need not equal one.
    const situational = new Set(['not_found', 'upload_failed', 'fetch_failed', 'rate_limited']);
    for (const { code, examples } of hosting.codes) {
      if (!isCode(code)) continue; // reported by the test above
      const entry = catalog[code];
      if (!situational.has(code)) {
        expect(
          examples.map((e) => e.message),
          code,
        ).toContain(entry.message);
      }
      const actions = examples.map((e) => e.action).filter(Boolean);
      if ('action' in entry && entry.action) expect(actions, code).toContain(entry.action);
      else expect(actions, code).toEqual([]);
    }
  });

  it('every item error code of the reference and of the contract is in the item catalog, and nothing else', () => {
    for (const { code, handling } of enhancement.item_codes) {
      expect(code in itemErrorCatalog, code).toBe(true);
      expect(itemErrorCatalog[code as keyof typeof itemErrorCatalog].handling).toBe(handling);
    }
    const contractCodes = PUBLISHED.contract.item_error_codes;
    for (const { code } of enhancement.item_codes) expect(contractCodes, code).toContain(code);
    expect(Object.keys(itemErrorCatalog).sort()).toEqual([...contractCodes].sort());
  });

  it('hosting codes the contract adds beyond the reference are exactly the documented ones', () => {
    const published = new Set(hosting.codes.map((e) => e.code));
    const extra = codes.filter((c) => catalog[c].family === 'hosting' && !published.has(c));
    // The contract adds `server_error` 500 for anything unexpected (docs/api.md).
    expect(extra).toEqual(['server_error']);
    const enhancementPublished = new Set(enhancement.codes.map((e) => e.code));
    const extraNested = codes.filter(
      (c) => catalog[c].family === 'enhancement' && !enhancementPublished.has(c),
    );
    expect(extraNested).toEqual([]);
  });
});

/** The tables of docs/errors.md, by the family their section heading names. */
function parseDocs() {
  const families: Record<string, CodeFamily | 'item'> = {
    '## Enhancement family (`/api/v1`)': 'enhancement',
    '## Hosting family (`/v1`)': 'hosting',
    '## Both families': 'shared',
    '## Operator API (`/admin/v1`)': 'admin',
    '## Dashboard (`/dashboard/api`)': 'web',
    '## Enhancement item error codes': 'item',
  };
  let current: CodeFamily | 'item' | undefined;
  const rows: { family: CodeFamily | 'item'; cells: string[] }[] = [];
  for (const line of ERRORS_DOC.split('\n')) {
    if (line.startsWith('## ')) current = families[line.trim()];
    const match = /^\| `([a-z_]+)`\s*\|/.exec(line);
    if (!match || !current) continue;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replaceAll('\\|', '|'));
    rows.push({ family: current, cells });
  }
  return rows;
}

describe('docs/errors.md', () => {
  const rows = parseDocs();
  const httpRows = rows.filter((r) => r.family !== 'item');

  it('lists every catalog code exactly once, under its family, with its status, message and handling', () => {
    expect(httpRows.map((r) => r.cells[0]?.replaceAll('`', '')).sort()).toEqual([...codes].sort());
    for (const { family, cells } of httpRows) {
      const [code, status, message, handling, action] = cells;
      const name = (code ?? '').replaceAll('`', '') as ErrorCode;
      const entry = catalog[name];
      expect([name, family]).toEqual([name, entry.family]);
      expect([name, Number(/^\d{3}/.exec(status ?? '')?.[0])]).toEqual([name, entry.status]);
      expect([name, message]).toEqual([name, entry.message]);
      expect([name, handling]).toEqual([name, entry.handling]);
      const expectedAction = 'action' in entry && entry.action ? `\`${entry.action}\`` : '—';
      expect([name, action]).toEqual([name, expectedAction]);
    }
  });

  it('shows, for each enhancement code, what a hosting route answers', () => {
    for (const { cells } of httpRows.filter((r) => r.family === 'enhancement')) {
      const code = (cells[0] ?? '').replaceAll('`', '') as ErrorCode;
      const shown = cells[5] ?? '';
      if (!('hosting' in catalog[code])) {
        expect([code, shown]).toEqual([code, '— (not raised there)']);
        continue;
      }
      const rendered = renderError(new AppError(code), 'hosting', 'req_1');
      expect([code, shown]).toEqual([
        code,
        `${rendered.status} \`${rendered.body.error}\` ("${rendered.body.message}")`,
      ]);
    }
  });

  it('lists every item error code with its message and handling, and nothing else', () => {
    const items = rows.filter((r) => r.family === 'item');
    expect(items.map((r) => (r.cells[0] ?? '').replaceAll('`', '')).sort()).toEqual(
      Object.keys(itemErrorCatalog).sort(),
    );
    for (const { cells } of items) {
      const code = (cells[0] ?? '').replaceAll('`', '') as keyof typeof itemErrorCatalog;
      expect(cells.slice(1)).toEqual([itemErrorCatalog[code].message, itemErrorCatalog[code].handling]);
    }
  });
});

/** The inner object of a nested-envelope rendering. */
const nested = (rendered: { body: Record<string, unknown> }) =>
  rendered.body.error as { code: string; message: string; request_id: string };

describe('renderError', () => {
  const SECRET = 'connection to postgres://admin:hunter2@db failed at /srv/app/store.ts:42';

  it('the nested envelope has exactly code, message, request_id', () => {
    const rendered = renderError(new AppError('invalid_api_key'), 'enhancement', 'req_abc');
    expect(rendered).toEqual({
      status: 401,
      body: { error: { code: 'invalid_api_key', message: 'Invalid API key.', request_id: 'req_abc' } },
      headers: {},
    });
  });

  it('the nested envelope never carries action, usage, errors or retry_after (only the Retry-After header)', () => {
    const rendered = renderError(
      new AppError('rate_limit_exceeded', {
        retryAfter: 17,
        action: { type: 'wait', seconds: 17 },
        errors: { x: ['y'] },
      }),
      'admin',
      'req_1',
    );
    expect(rendered.body).toEqual({
      error: { code: 'rate_limit_exceeded', message: 'Rate limit exceeded.', request_id: 'req_1' },
    });
    expect(rendered.headers).toEqual({ 'retry-after': '17' });
  });

  it('a 4xx keeps the domain message; a 5xx never shows details.message, in any family', () => {
    expect(
      nested(renderError(new AppError('not_found', { message: 'Account not found.' }), 'admin', 'r')).message,
    ).toBe('Account not found.');
    const fivexx = codes.filter((c) => catalog[c].status >= 500 && catalog[c].family !== 'hosting');
    expect(fivexx.length).toBeGreaterThanOrEqual(3);
    for (const code of fivexx) {
      for (const family of ['enhancement', 'admin', 'hosting'] as const) {
        const rendered = renderError(new AppError(code, { message: SECRET }), family, 'req_1');
        expect(rendered.status).toBeGreaterThanOrEqual(500);
        expect(JSON.stringify(rendered.body), `${code} on ${family}`).not.toContain('hunter2');
      }
    }
    // A 4xx code forced to a 5xx status is generic too.
    const forced = renderError(
      new AppError('invalid_payload', { status: 500, message: SECRET }),
      'enhancement',
      'r',
    );
    expect(forced.status).toBe(500);
    expect(JSON.stringify(forced.body)).not.toContain('hunter2');
    // server_error on hosting is always the generic text.
    const server = renderError(new AppError('server_error', { message: SECRET }), 'hosting', 'r');
    expect(server.body).toEqual({ error: 'server_error', message: 'Internal server error', request_id: 'r' });
  });

  it('hosting codes that describe a user-facing failure keep their domain message (as published)', () => {
    const rendered = renderError(
      new AppError('upload_failed', { message: 'File too large: 150.00 MB. Maximum file size is 70 MB.' }),
      'hosting',
      'req_1',
    );
    expect(rendered.body).toEqual({
      error: 'upload_failed',
      message: 'File too large: 150.00 MB. Maximum file size is 70 MB.',
      request_id: 'req_1',
    });
    expect(
      renderError(
        new AppError('fetch_failed', { status: 504, message: 'URL fetch timeout' }),
        'hosting',
        'r',
      ),
    ).toMatchObject({ status: 504, body: { error: 'fetch_failed', message: 'URL fetch timeout' } });
  });

  it('hosting flat shape with action and usage, in the published field order', () => {
    const action = {
      type: 'upgrade' as const,
      url: 'https://x.test/upgrade/pro?t=a&exp=1&sig=b',
      label: 'Upgrade',
    };
    const usage = { plan: 'free', uploads_used: 100, uploads_limit: 100 };
    const rendered = renderError(new AppError('quota_exceeded', { action, usage }), 'hosting', 'req_q');
    expect(rendered.status).toBe(403);
    expect(rendered.body).toEqual({
      error: 'quota_exceeded',
      message: 'Monthly upload limit reached.',
      action,
      usage,
      request_id: 'req_q',
    });
    expect(Object.keys(rendered.body)).toEqual(['error', 'message', 'action', 'usage', 'request_id']);
  });

  it('hosting rate limit: redirect action → top-level retry_after; wait action → seconds only; header both ways', () => {
    const redirect = renderError(
      new AppError('rate_limited', {
        message: 'Hourly limit of 20 uploads reached.',
        retryAfter: 2520,
        action: { type: 'redirect', url: 'https://x.test/docs', label: 'Create API Key' },
      }),
      'hosting',
      'r',
    );
    expect(redirect.status).toBe(429);
    expect(redirect.body.retry_after).toBe(2520);
    expect(redirect.headers['retry-after']).toBe('2520');

    const wait = renderError(
      new AppError('rate_limited', { retryAfter: 60, action: { type: 'wait', seconds: 60 } }),
      'hosting',
      'r',
    );
    expect(wait.body).toEqual({
      error: 'rate_limited',
      message: 'Too many requests. Try again later.',
      action: { type: 'wait', seconds: 60 },
      request_id: 'r',
    });
    expect(wait.headers['retry-after']).toBe('60');
  });

  it('hosting validation errors carry per-field errors and the published message', () => {
    const rendered = renderError(
      new AppError('invalid_payload', {
        errors: { namespace: ['Must be lowercase'] },
        message: 'internal wording',
      }),
      'hosting',
      'r',
    );
    expect(rendered).toEqual({
      status: 422,
      body: {
        error: 'validation_error',
        message: 'Validation failed',
        errors: { namespace: ['Must be lowercase'] },
        request_id: 'r',
      },
      headers: {},
    });
  });

  it.each([
    ['missing_api_key', 401, 'unauthorized', 'Invalid or missing API key'],
    ['invalid_api_key', 401, 'unauthorized', 'Invalid or missing API key'],
    ['api_key_expired', 401, 'unauthorized', 'API key expired'],
    ['api_key_inactive', 401, 'unauthorized', 'API key is not active'],
    ['api_key_revoked', 401, 'unauthorized', 'API key revoked'],
    ['account_suspended', 403, 'forbidden', 'Insufficient permissions'],
    ['payment_risk_restricted', 403, 'forbidden', 'Insufficient permissions'],
    ['api_key_environment_mismatch', 404, 'not_found', 'Media not found'],
    ['rate_limit_exceeded', 429, 'rate_limited', 'Too many requests. Try again later.'],
    ['unexpected', 500, 'server_error', 'Internal server error'],
  ] as const)('cross-family: %s on a hosting route → %i %s "%s"', (code, status, hostingCode, message) => {
    // The domain's wording for the enhancement code never leaks into the hosting envelope.
    const rendered = renderError(new AppError(code, { message: 'enhancement wording' }), 'hosting', 'r');
    expect(rendered.status).toBe(status);
    expect(rendered.body).toEqual({ error: hostingCode, message, request_id: 'r' });
  });

  it('every code renders on a hosting route as a hosting (or shared) code with that code’s status', () => {
    for (const code of codes) {
      const rendered = renderError(new AppError(code), 'hosting', 'r');
      const target = rendered.body.error as ErrorCode;
      expect(['hosting', 'shared'], `${code} → ${target}`).toContain(catalog[target].family);
      expect(rendered.status, code).toBe(catalog[target].status);
    }
  });

  it('every non-hosting code renders as itself in the nested envelope; a hosting-only code becomes 500 unexpected', () => {
    for (const code of codes) {
      const rendered = renderError(new AppError(code, { message: SECRET }), 'enhancement', 'r');
      if (catalog[code].family === 'hosting') {
        expect(rendered.status, code).toBe(500);
        expect(rendered.body.error).toEqual({
          code: 'unexpected',
          message: catalog.unexpected.message,
          request_id: 'r',
        });
      } else {
        expect([code, rendered.status, nested(rendered).code]).toEqual([code, catalog[code].status, code]);
      }
    }
  });

  it('familyOf picks the envelope by path prefix', () => {
    expect(familyOf('/api/v1/product-image-enhancements')).toBe('enhancement');
    expect(familyOf('/admin/v1/accounts')).toBe('admin');
    expect(familyOf('/dashboard/api/keys')).toBe('web');
    expect(familyOf('/dashboard')).toBe('hosting');
    expect(familyOf('/v1/usage')).toBe('hosting');
    expect(familyOf('/verify?t=1')).toBe('hosting');
    expect(familyOf('/apix')).toBe('hosting');
  });
});

describe('error handler: an unexpected exception', () => {
  it.each([
    ['/api/v1/boom', (body: { error: { code: string; message: string } }) => body.error.code, 'unexpected'],
    ['/v1/boom', (body: { error: string }) => body.error, 'server_error'],
  ] as const)('%s → 500 in the family envelope, without the internal message', async (url, codeOf, code) => {
    const app = Fastify({ logger: false, genReqId: () => 'req_fixed0000000000000000' });
    installErrorHandling(app);
    app.get(url, async () => {
      throw new Error('db password=hunter2 at /srv/app/store.ts:42');
    });
    const response = await app.inject({ method: 'GET', url });
    await app.close();
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('store.ts');
    const body = response.json();
    expect(codeOf(body as never)).toBe(code);
    expect(response.body).toContain('req_fixed0000000000000000');
  });
});
