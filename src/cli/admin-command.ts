import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.ts';

const HELP = `lightbox admin — the operator API from the shell (prints JSON).

  accounts create --email E [--plan P] [--verified]
  accounts list [--email E]
  accounts get ACCOUNT_ID
  accounts update ACCOUNT_ID [--plan P] [--suspended true|false] [--payment-risk true|false]
                             [--verified true|false] [--policy open|approval|closed]
  credits grant ACCOUNT_ID --amount N --kind purchased|promotional [--note TEXT]
  credits ledger ACCOUNT_ID
  keys create ACCOUNT_ID --environment live|test [--name NAME] [--expires-at ISO]
  keys list [--account ACCOUNT_ID]
  keys update KEY_ID [--status active|inactive|revoked] [--expires-at ISO|none]
  keys delete KEY_ID
  outbox [--to EMAIL]
  webhook-deliveries [--enhancement ENHANCEMENT_ID]   webhook events with every attempt
  redeliver EVENT_ID                                  send an event again (202)
  (also: webhooks list [--enhancement ID], webhooks redeliver EVENT_ID)

Global: --url (default LIGHTBOX_PUBLIC_URL), --token (default LIGHTBOX_ADMIN_TOKEN or <data>/admin-token).`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  email: { type: 'string' },
  plan: { type: 'string' },
  verified: { type: 'string' },
  suspended: { type: 'string' },
  'payment-risk': { type: 'string' },
  policy: { type: 'string' },
  amount: { type: 'string' },
  kind: { type: 'string' },
  note: { type: 'string' },
  environment: { type: 'string' },
  name: { type: 'string' },
  'expires-at': { type: 'string' },
  account: { type: 'string' },
  status: { type: 'string' },
  to: { type: 'string' },
  enhancement: { type: 'string' },
} as const;

type Request = { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: Record<string, unknown> };

export async function runAdmin(args: string[]): Promise<number> {
  // `--help` anywhere wins over whatever else is on the line (docs/cli.md).
  if (args.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: withFlagDefaults(args), options: OPTIONS, allowPositionals: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [resource, action, id] = positionals;
  let request: Request | string;
  try {
    request = toRequest(resource, action, id, v);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (typeof request === 'string') {
    process.stdout.write(`${request}\n`);
    return 0;
  }

  const config = loadConfig();
  const base = (v.url ?? config.publicUrl).replace(/\/$/, '');
  const token =
    v.token ?? config.adminToken ?? (await readFile(path.join(config.dataDir, 'admin-token'), 'utf8')).trim();
  let response: Response;
  try {
    response = await fetch(`${base}${request.path}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(request.body ? { 'content-type': 'application/json' } : {}),
      },
      ...(request.body ? { body: JSON.stringify(request.body) } : {}),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    process.stderr.write(`cannot reach ${base}: ${cause?.message ?? (error as Error).message}\n`);
    return 1;
  }
  const text = await response.text();
  let output = text;
  try {
    output = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON: print as it came.
  }
  (response.ok ? process.stdout : process.stderr).write(`${output}\n`);
  return response.ok ? 0 : 1;
}

/** `--verified` is documented as a bare flag on `accounts create`: read it as `--verified=true` there. */
function withFlagDefaults(args: string[]): string[] {
  return args.map((arg, i) => {
    const next = args[i + 1];
    return arg === '--verified' && (next === undefined || next.startsWith('--')) ? '--verified=true' : arg;
  });
}

function toRequest(
  resource: string | undefined,
  action: string | undefined,
  id: string | undefined,
  v: Record<string, string | undefined>,
): Request | string {
  const need = (value: string | undefined, what: string): string => {
    if (!value) throw new Error(`missing ${what}`);
    return value;
  };
  const bool = (value: string | undefined) => (value === undefined ? undefined : value === 'true');
  const compact = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, value]) => value !== undefined));
  const q = (o: Record<string, string | undefined>) => {
    const s = new URLSearchParams(compact(o) as Record<string, string>).toString();
    return s ? `?${s}` : '';
  };
  const enc = encodeURIComponent;

  switch (`${resource ?? ''} ${action ?? ''}`.trim()) {
    case '':
    case 'help':
      return HELP;
    case 'accounts create':
      return {
        method: 'POST',
        path: '/admin/v1/accounts',
        body: compact({
          email: need(v.email, '--email'),
          plan: v.plan,
          email_verified: bool(v.verified),
        }),
      };
    case 'accounts list':
      return { method: 'GET', path: `/admin/v1/accounts${q({ email: v.email })}` };
    case 'accounts get':
      return { method: 'GET', path: `/admin/v1/accounts/${enc(need(id, 'ACCOUNT_ID'))}` };
    case 'accounts update':
      return {
        method: 'PATCH',
        path: `/admin/v1/accounts/${enc(need(id, 'ACCOUNT_ID'))}`,
        body: compact({
          plan: v.plan,
          suspended: bool(v.suspended),
          payment_risk: bool(v['payment-risk']),
          email_verified: bool(v.verified),
          registration_policy: v.policy,
        }),
      };
    case 'credits grant':
      return {
        method: 'POST',
        path: `/admin/v1/accounts/${enc(need(id, 'ACCOUNT_ID'))}/credits`,
        body: compact({
          amount: Number(need(v.amount, '--amount')),
          kind: need(v.kind, '--kind'),
          note: v.note,
        }),
      };
    case 'credits ledger':
      return { method: 'GET', path: `/admin/v1/accounts/${enc(need(id, 'ACCOUNT_ID'))}/ledger` };
    case 'keys create':
      return {
        method: 'POST',
        path: `/admin/v1/accounts/${enc(need(id, 'ACCOUNT_ID'))}/keys`,
        body: compact({
          environment: need(v.environment, '--environment'),
          name: v.name,
          expires_at: v['expires-at'],
        }),
      };
    case 'keys list':
      return { method: 'GET', path: `/admin/v1/keys${q({ account_id: v.account })}` };
    case 'keys update':
      return {
        method: 'PATCH',
        path: `/admin/v1/keys/${enc(need(id, 'KEY_ID'))}`,
        body: compact({
          status: v.status,
          expires_at: v['expires-at'] === 'none' ? null : v['expires-at'],
        }),
      };
    case 'keys delete':
      return { method: 'DELETE', path: `/admin/v1/keys/${enc(need(id, 'KEY_ID'))}` };
    case 'webhooks list':
      return { method: 'GET', path: `/admin/v1/webhook-deliveries${q({ enhancement_id: v.enhancement })}` };
    case 'webhooks redeliver':
      return {
        method: 'POST',
        path: `/admin/v1/webhook-deliveries/${enc(need(id, 'EVENT_ID'))}/redeliver`,
      };
    default:
      if (resource === 'outbox') return { method: 'GET', path: `/admin/v1/outbox${q({ to: v.to })}` };
      if (resource === 'webhook-deliveries' && action === undefined) {
        return { method: 'GET', path: `/admin/v1/webhook-deliveries${q({ enhancement_id: v.enhancement })}` };
      }
      if (resource === 'redeliver' && id === undefined) {
        return {
          method: 'POST',
          path: `/admin/v1/webhook-deliveries/${enc(need(action, 'EVENT_ID'))}/redeliver`,
        };
      }
      throw new Error(`unknown command: ${[resource, action].filter(Boolean).join(' ')}`);
  }
}
