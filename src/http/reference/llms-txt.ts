import { catalog, itemErrorCatalog } from '../../errors/catalog.ts';
import { hostingRendering } from '../../errors/render.ts';

/**
 * `/llms.txt` and `/llms-full.txt` (the llmstxt.org format: an H1, a blockquote, then sections of link lists),
 * generated from the OpenAPI document, the error catalog and docs/api.md, with this server's URLs — so what an
 * agent reads is what this server answers.
 */

interface Schema {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  $ref?: string;
  default?: unknown;
}
interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}
export interface OpenApiDocument {
  info: { title: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const SECTION_TITLES: Record<string, string> = {
  Hosting: 'Hosting API (/v1)',
  Enhancement: 'Enhancement API (/api/v1)',
  Operator: 'Operator API (/admin/v1)',
  Delivery: 'Image delivery',
  Service: 'Service endpoints',
};

interface Endpoint {
  method: string;
  path: string;
  operation: Operation;
}

function endpointsByTag(document: OpenApiDocument): Map<string, Endpoint[]> {
  const byTag = new Map<string, Endpoint[]>((document.tags ?? []).map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method: method.toUpperCase(), path, operation }]);
    }
  }
  return byTag;
}

const SCHEME_NAMES: Record<string, string> = {
  apiKey: 'API key',
  adminToken: 'admin token',
  session: 'dashboard session',
};

function authOf(operation: Operation): string {
  const schemes = (operation.security ?? []).map((s) => Object.keys(s)[0]);
  const named = schemes.flatMap((s) => (s ? [SCHEME_NAMES[s] ?? s] : []));
  if (named.length === 0) return 'no auth';
  return `${schemes.includes(undefined) ? 'optional ' : ''}${named.join(' or ')}`;
}

const referenceLink = (base: string, { operation }: Endpoint) =>
  `${base}/docs/api#/${encodeURIComponent(operation.tags[0] ?? '')}/${operation.operationId}`;

function quickStart(base: string): string {
  return `Quick start (hosting): get a key by email, then upload.

\`\`\`sh
curl -s -X POST ${base}/v1/keys -H 'content-type: application/json' -d '{"email":"you@example.com"}'
curl -s -H 'Authorization: Bearer <key>' -F file=@photo.jpg ${base}/v1/upload
\`\`\`

Quick start (enhancement): create a batch with an \`Idempotency-Key\`, then poll it (or pass \`webhook_url\`). Test keys (\`environment: "test"\` in \`POST /v1/keys\`) run in the sandbox without credits.

\`\`\`sh
curl -s -X POST ${base}/api/v1/product-image-enhancements -H 'Authorization: Bearer <key>' \\
  -H 'Idempotency-Key: order-1042' -H 'content-type: application/json' \\
  -d '{"images":[{"source_url":"https://example.org/mug.jpg"}],"preset":"single_product_white_background"}'
curl -s -H 'Authorization: Bearer <key>' ${base}/api/v1/product-image-enhancements/<id>
\`\`\``;
}

const SUMMARY =
  'Self-hosted image platform. Hosting (/v1) is wire-compatible with the img.pro API (generation 1); Enhancement (/api/v1) is wire-compatible with the AI Gen Studio product-image-enhancement API. Authenticate with `Authorization: Bearer <key>`.';

const auth = (keyPrefix: string) =>
  `Authentication: \`Authorization: Bearer <key>\` and nothing else (a key elsewhere counts as missing). API keys look like \`${keyPrefix}_live_…\` or \`${keyPrefix}_test_…\`; the operator API takes the admin token. Errors: hosting routes answer \`{"error": "<code>", "message", "request_id"}\` (plus \`action\`, \`usage\`, \`errors\`, \`retry_after\` where they apply); enhancement and operator routes answer \`{"error": {"code", "message", "request_id"}}\`. Rate-limited routes send \`X-RateLimit-Limit\`, \`X-RateLimit-Remaining\`, \`X-RateLimit-Reset\`, and \`Retry-After\` with a 429.`;

export interface ServerLinks {
  /** This server's public URL (LIGHTBOX_PUBLIC_URL). */
  base: string;
  keyPrefix: string;
}

/** The index: what an agent reads first. */
export function llmsTxt(document: OpenApiDocument, { base, keyPrefix }: ServerLinks): string {
  const lines = [
    `# ${document.info.title}`,
    '',
    `> ${SUMMARY}`,
    '',
    auth(keyPrefix),
    '',
    quickStart(base),
    '',
  ];
  lines.push(
    '## Docs',
    '',
    `- [API reference](${base}/docs/api): every operation, rendered from the OpenAPI document`,
    `- [OpenAPI 3.1 document](${base}/openapi.json): the machine-readable contract (also [YAML](${base}/openapi.yaml))`,
    `- [Full text for LLMs](${base}/llms-full.txt): every operation with its parameters, bodies and errors, the error codes and the API guide`,
    '',
  );
  for (const [tag, endpoints] of endpointsByTag(document)) {
    if (endpoints.length === 0) continue;
    lines.push(`## ${SECTION_TITLES[tag] ?? tag}`, '');
    for (const endpoint of endpoints) {
      lines.push(
        `- [${endpoint.method} ${endpoint.path}](${referenceLink(base, endpoint)}): ${endpoint.operation.summary} (${authOf(endpoint.operation)})`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## Errors',
    '',
    `- [Hosting error codes](${base}/llms-full.txt#hosting-error-codes): flat envelope, img.pro codes`,
    `- [Enhancement error codes](${base}/llms-full.txt#enhancement-error-codes): nested envelope, AI Gen Studio codes`,
    `- [Enhancement item error codes](${base}/llms-full.txt#enhancement-item-error-codes): why an item failed`,
    '',
  );
  return `${lines.join('\n').trimEnd()}\n`;
}

function typeOf(schema: Schema | undefined): string {
  if (!schema) return 'any';
  if (schema.$ref) return schema.$ref.split('/').pop() ?? 'object';
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'any'];
  return types
    .map((t) =>
      t === 'array'
        ? `${typeOf(schema.items)}[]`
        : schema.format && t === 'string'
          ? `string (${schema.format})`
          : t,
    )
    .join(' | ');
}

function fieldList(schema: Schema, document: OpenApiDocument): string[] {
  const resolved = schema.$ref ? document.components?.schemas?.[schema.$ref.split('/').pop() ?? ''] : schema;
  if (!resolved?.properties) return [`- ${typeOf(schema)}`];
  return Object.entries(resolved.properties).map(([name, property]) => {
    const required = resolved.required?.includes(name) ? 'required' : 'optional';
    const notes = [
      property.description,
      property.default !== undefined ? `default ${JSON.stringify(property.default)}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return `- \`${name}\` (${typeOf(property)}, ${required})${notes ? `: ${notes.replace(/\n/g, ' ')}` : ''}`;
  });
}

function operationText(endpoint: Endpoint, document: OpenApiDocument, base: string): string {
  const { operation } = endpoint;
  const lines = [
    `### ${endpoint.method} ${endpoint.path}`,
    '',
    `${operation.summary}. Operation \`${operation.operationId}\`; auth: ${authOf(operation)}. [Reference](${referenceLink(base, endpoint)})`,
    '',
  ];
  if (operation.description) lines.push(operation.description, '');
  const parameters = operation.parameters ?? [];
  if (parameters.length > 0) {
    lines.push('Parameters:', '');
    for (const p of parameters) {
      lines.push(
        `- \`${p.name}\` (${p.in}, ${typeOf(p.schema)}, ${p.required ? 'required' : 'optional'})${p.description ? `: ${p.description}` : ''}`,
      );
    }
    lines.push('');
  }
  for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
    lines.push(`Body (\`${type}\`):`, '', ...fieldList(media.schema, document), '');
  }
  lines.push('Responses:', '');
  for (const [status, response] of Object.entries(operation.responses)) {
    const json = response.content?.['application/json'];
    const codes = json ? errorCodesOf(json.schema) : undefined;
    if (codes) lines.push(`- ${status}: ${codes.map((c) => `\`${c}\``).join(', ')}`);
    else lines.push(`- ${status}${json ? ` → \`${typeOf(json.schema)}\`` : ''}: ${response.description}`);
  }
  return lines.join('\n');
}

/** The codes an error response lists (either envelope); `undefined` for any other body. */
function errorCodesOf(schema: Schema): unknown[] | undefined {
  const error = schema.properties?.error;
  return error?.enum ?? error?.properties?.code?.enum;
}

function schemasText(document: OpenApiDocument): string {
  const lines = ['## Schemas', ''];
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    lines.push(`### ${name}`, '');
    if (schema.description) lines.push(schema.description, '');
    lines.push(...fieldList(schema, document), '');
  }
  return lines.join('\n').trimEnd();
}

function errorTables(): string {
  const hosting: string[] = [];
  const enhancement: string[] = [];
  for (const [code, entry] of Object.entries(catalog)) {
    const row = `| \`${code}\` | ${entry.status} | ${entry.message} | ${entry.handling} |`;
    if (entry.family === 'hosting' || entry.family === 'shared') hosting.push(row);
    if (entry.family !== 'hosting') {
      const onHosting = hostingRendering(code as keyof typeof catalog);
      enhancement.push(`${row} ${onHosting.status} \`${onHosting.code}\` |`);
    }
  }
  const items = Object.entries(itemErrorCatalog).map(
    ([code, e]) => `| \`${code}\` | ${e.message} | ${e.handling} |`,
  );
  return [
    '## Hosting error codes',
    '',
    'Flat envelope: `{"error": "<code>", "message", "action"?, "usage"?, "errors"?, "retry_after"?, "request_id"}`.',
    '',
    '| code | status | message | handling |',
    '| --- | --- | --- | --- |',
    ...hosting,
    '',
    '## Enhancement error codes',
    '',
    'Nested envelope: `{"error": {"code", "message", "request_id"}}` (the operator API too). The last column is what a hosting route answers instead.',
    '',
    '| code | status | message | handling | on hosting routes |',
    '| --- | --- | --- | --- | --- |',
    ...enhancement,
    '',
    '## Enhancement item error codes',
    '',
    'Never an HTTP status: the `error_code` of a failed item (its credits are released).',
    '',
    '| code | message | handling |',
    '| --- | --- | --- |',
    ...items,
  ].join('\n');
}

/**
 * The API guide (docs/api.md) inside the full text: headings one level down, links to other project documents
 * reduced to their text (they are not served), the error reference pointed at its section here.
 */
function guide(markdown: string): string {
  return markdown
    .replace(/^(#{1,5}) /gm, '$1# ')
    .replace(/\[([^\]]+)\]\(errors\.md(#[^)]*)?\)/g, '[$1](#hosting-error-codes)')
    .replace(/\[([^\]]+)\]\((?!https?:)[^)]*\.md(#[^)]*)?\)/g, '$1')
    .trim();
}

/** Everything in one file: quick start, every operation in detail, the error codes, the API guide. */
export function llmsFullTxt(
  document: OpenApiDocument,
  { base, keyPrefix }: ServerLinks,
  apiGuide: string | undefined,
): string {
  const sections = [
    `# ${document.info.title}`,
    '',
    `> ${SUMMARY}`,
    '',
    `Server: ${base}. OpenAPI document: ${base}/openapi.json. Reference: ${base}/docs/api.`,
    '',
    auth(keyPrefix),
    '',
    quickStart(base),
    '',
  ];
  for (const [tag, endpoints] of endpointsByTag(document)) {
    if (endpoints.length === 0) continue;
    const description = document.tags?.find((t) => t.name === tag)?.description;
    sections.push(`## ${SECTION_TITLES[tag] ?? tag}`, '');
    if (description) sections.push(description, '');
    for (const endpoint of endpoints) sections.push(operationText(endpoint, document, base), '');
  }
  sections.push(schemasText(document), '', errorTables(), '');
  if (apiGuide) sections.push(guide(apiGuide), '');
  return `${sections.join('\n').trimEnd()}\n`;
}
