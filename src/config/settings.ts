import {
  bool,
  cidrList,
  corsOrigins,
  decimal,
  int,
  keyPrefix,
  LOG_LEVELS,
  oneOf,
  optionalHttpUrl,
  optionalInt,
  optionalString,
  type Parser,
  plans,
  providerChain,
  regexList,
  secondsList,
  secretString,
  str,
  urlWithScheme,
} from './parsers.ts';

interface Setting<T> {
  env: string;
  /** The default as written in the README; `null` means "unset". */
  default: string | null;
  parse: Parser<T>;
  doc: string;
}

const setting = <T>(env: string, def: string | null, parse: Parser<T>, doc: string): Setting<T> => ({
  env,
  default: def,
  parse,
  doc,
});

const MB = 'MB';

/**
 * Every setting the server reads, with its default. The README table is checked against this list by a test,
 * so a setting cannot be added without being documented.
 */
export const settings = {
  port: setting('PORT', '8080', int(0, 65535), 'HTTP port.'),
  host: setting('LIGHTBOX_HOST', '0.0.0.0', str, 'Interface to listen on.'),
  publicUrl: setting(
    'LIGHTBOX_PUBLIC_URL',
    null,
    optionalHttpUrl,
    'Public base URL used in links and `url` fields. Default `http://localhost:<PORT>`.',
  ),
  srcBase: setting(
    'LIGHTBOX_SRC_BASE',
    null,
    optionalHttpUrl,
    'Base of image `src` URLs. Default `<LIGHTBOX_PUBLIC_URL>/src`.',
  ),
  dataDir: setting(
    'LIGHTBOX_DATA_DIR',
    './data',
    str,
    'Data directory (SQLite file, blobs, generated secrets).',
  ),
  adminToken: setting(
    'LIGHTBOX_ADMIN_TOKEN',
    null,
    secretString(24),
    'Operator API token (≥ 24 chars). Generated into `<data>/admin-token` and printed on first start when unset.',
  ),
  secret: setting(
    'LIGHTBOX_SECRET',
    null,
    secretString(32),
    'HMAC secret for signed links (≥ 32 chars). Generated into `<data>/secret` when unset.',
  ),
  databaseUrl: setting(
    'LIGHTBOX_DATABASE_URL',
    null,
    urlWithScheme('postgres', 'postgresql', 'sqlite'),
    'Unset: SQLite at `<data>/lightbox.db`. `postgres://…` switches to PostgreSQL; `sqlite:///path` picks a file.',
  ),
  mailFrom: setting('LIGHTBOX_MAIL_FROM', 'Lightbox <no-reply@localhost>', str, 'Sender of outgoing mail.'),
  smtpUrl: setting(
    'LIGHTBOX_SMTP_URL',
    null,
    urlWithScheme('smtp', 'smtps'),
    'SMTP server for outgoing mail (`smtp://user:pass@host:587` with STARTTLS, `smtps://…:465`). Unset: mail stays in the outbox (admin API, CLI) and the log.',
  ),
  redisUrl: setting(
    'LIGHTBOX_REDIS_URL',
    null,
    urlWithScheme('redis', 'rediss'),
    'Scale-out job queue (BullMQ) on Redis; the URL is used whole (database number included). Unset: SQL jobs table.',
  ),
  rateLimitRedisUrl: setting(
    'LIGHTBOX_RATE_LIMIT_REDIS_URL',
    null,
    urlWithScheme('redis', 'rediss'),
    "Redis for rate limits when it should differ from the queue's. Default `LIGHTBOX_REDIS_URL`; unset both: in-process.",
  ),
  s3Bucket: setting(
    'LIGHTBOX_S3_BUCKET',
    null,
    optionalString,
    'S3 bucket for originals, renditions and results (scale-out). Unset: `<data>/blobs` on local disk.',
  ),
  s3Endpoint: setting(
    'LIGHTBOX_S3_ENDPOINT',
    null,
    optionalHttpUrl,
    'S3-compatible endpoint (MinIO, R2…); unset: AWS.',
  ),
  s3Region: setting('LIGHTBOX_S3_REGION', 'us-east-1', str, 'S3 region.'),
  s3AccessKeyId: setting(
    'LIGHTBOX_S3_ACCESS_KEY_ID',
    null,
    optionalString,
    'S3 access key (with the secret; unset: SDK default chain).',
  ),
  s3SecretAccessKey: setting('LIGHTBOX_S3_SECRET_ACCESS_KEY', null, optionalString, 'S3 secret key.'),
  s3ForcePathStyle: setting(
    'LIGHTBOX_S3_FORCE_PATH_STYLE',
    '0',
    bool,
    'Path-style S3 URLs (most S3-compatible services).',
  ),
  redisPrefix: setting('LIGHTBOX_REDIS_PREFIX', 'lightbox:', str, 'Prefix of every Redis key.'),
  workerConcurrency: setting(
    'LIGHTBOX_WORKER_CONCURRENCY',
    '8',
    int(1, 256),
    'Jobs a worker process runs at once. Image work inside them is bounded by the cores separately, so slow webhook receivers or downloads do not starve it.',
  ),
  trustedProxies: setting(
    'LIGHTBOX_TRUSTED_PROXIES',
    '',
    cidrList,
    'Comma-separated addresses/CIDRs whose `X-Forwarded-For` is honoured for the client IP.',
  ),
  fetchAllowCidrs: setting(
    'LIGHTBOX_FETCH_ALLOW_CIDRS',
    '',
    cidrList,
    'Extra networks the safe fetcher may reach (e.g. `127.0.0.1/32` for tests). Leave empty in production.',
  ),
  fetchExtraCaFile: setting(
    'LIGHTBOX_FETCH_EXTRA_CA_FILE',
    null,
    optionalString,
    'PEM file of certificates the safe fetcher trusts besides the system roots (tests with self-signed HTTPS).',
  ),
  webhookRetryDelays: setting(
    'LIGHTBOX_WEBHOOK_RETRY_DELAYS',
    '10,30,120,600,1800,3600,7200,14400,28800,43200,86400,86400,86400',
    secondsList,
    'Seconds between webhook attempts (each ±20 % jitter); one more attempt than delays. Default spans ~3.3 days.',
  ),
  logLevel: setting('LIGHTBOX_LOG_LEVEL', 'info', oneOf(...LOG_LEVELS), 'Log level.'),
  srcLogLevel: setting(
    'LIGHTBOX_SRC_LOG_LEVEL',
    'warn',
    oneOf(...LOG_LEVELS),
    'Log level of image delivery (`src`) requests, never more verbose than `LIGHTBOX_LOG_LEVEL`; at `info` every image served writes two log lines.',
  ),
  hotCacheMb: setting(
    'LIGHTBOX_HOT_CACHE_MB',
    '32',
    int(0, 65536),
    `Memory for recently served small renditions (${MB}); 0 turns it off.`,
  ),
  logPretty: setting('LIGHTBOX_LOG_PRETTY', '0', bool, 'Human-readable logs instead of JSON lines.'),
  keyPrefix: setting('LIGHTBOX_KEY_PREFIX', 'img', keyPrefix, 'Prefix of API keys (`img_live_…`).'),
  plans: setting(
    'LIGHTBOX_PLANS',
    'free:100:5120:Free,pro:1000:51200:Pro ($10/mo)',
    plans,
    'Plans, cheapest first: `name:uploads_per_month:storage_mb[:label]`.',
  ),
  defaultPlan: setting('LIGHTBOX_DEFAULT_PLAN', 'free', str, 'Plan of self-serve accounts.'),
  billingUrl: setting(
    'LIGHTBOX_BILLING_URL',
    null,
    optionalHttpUrl,
    '`/upgrade/<plan>` forwards here with `account` and `plan`; unset shows an instructions page.',
  ),
  dashboardUrl: setting(
    'LIGHTBOX_DASHBOARD_URL',
    null,
    optionalHttpUrl,
    'Where `registration_closed` points. Default `<LIGHTBOX_PUBLIC_URL>/keys`.',
  ),
  docsUrl: setting(
    'LIGHTBOX_DOCS_URL',
    null,
    optionalHttpUrl,
    'Quick-start docs (anonymous `upgrade`/`redirect` actions). Default `<LIGHTBOX_PUBLIC_URL>/docs/quick-start`.',
  ),
  linkTtlSeconds: setting(
    'LIGHTBOX_LINK_TTL_SECONDS',
    '604800',
    int(60, 90 * 86400),
    'Lifetime of signed links.',
  ),
  bodyLimitBytes: setting(
    'LIGHTBOX_JSON_BODY_LIMIT',
    '1048576',
    int(1024, 64 * 1024 * 1024),
    'Max JSON body bytes.',
  ),
  keysPerEmailPerHour: setting(
    'LIGHTBOX_KEYS_PER_EMAIL_PER_HOUR',
    '5',
    int(1, 100000),
    '`POST /v1/keys` per email.',
  ),
  keysPerIpPerHour: setting(
    'LIGHTBOX_KEYS_PER_IP_PER_HOUR',
    '20',
    int(1, 100000),
    '`POST /v1/keys` per client IP.',
  ),
  unverifiedMaxKeys: setting(
    'LIGHTBOX_UNVERIFIED_MAX_KEYS',
    '3',
    int(1, 1000),
    'Active keys an unverified account may hold.',
  ),
  maxUploadMb: setting('LIGHTBOX_MAX_UPLOAD_MB', '70', int(1, 10240), `Max upload with a key (${MB}).`),
  maxSvgMb: setting('LIGHTBOX_MAX_SVG_MB', '10', int(1, 1024), `Max SVG upload (${MB}).`),
  maxAnonUploadMb: setting(
    'LIGHTBOX_MAX_ANON_UPLOAD_MB',
    '20',
    int(1, 10240),
    `Max anonymous upload (${MB}).`,
  ),
  maxPixels: setting(
    'LIGHTBOX_MAX_PIXELS',
    '100000000',
    int(1, 1_000_000_000),
    'Pixel limit per image (frame).',
  ),
  maxFrames: setting('LIGHTBOX_MAX_FRAMES', '1000', int(1, 100000), 'Animation frame limit.'),
  anonPerHour: setting(
    'LIGHTBOX_ANON_UPLOADS_PER_HOUR',
    '20',
    int(1, 1_000_000),
    'Anonymous uploads per IP/hour.',
  ),
  anonPerDay: setting(
    'LIGHTBOX_ANON_UPLOADS_PER_DAY',
    '100',
    int(1, 1_000_000),
    'Anonymous uploads per IP/day.',
  ),
  anonRetentionDays: setting(
    'LIGHTBOX_ANON_RETENTION_DAYS',
    '30',
    int(1, 3650),
    'Anonymous uploads expire after.',
  ),
  unverifiedRetentionDays: setting(
    'LIGHTBOX_UNVERIFIED_RETENTION_DAYS',
    '30',
    int(1, 3650),
    'Uploads of unverified accounts expire after (until verified).',
  ),
  apiMinLifetimePurchased: setting(
    'LIGHTBOX_API_MIN_LIFETIME_PURCHASED',
    '200',
    int(0, 1_000_000_000),
    'Live enhancement API needs this many credits bought in the account lifetime.',
  ),
  creditsPerImage: setting(
    'LIGHTBOX_CREDITS_PER_IMAGE',
    '5',
    int(0, 1_000_000),
    'Credits per enhanced image.',
  ),
  activePerKey: setting(
    'LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_KEY',
    '1',
    int(1, 1000),
    'Non-terminal batches per key.',
  ),
  activePerAccount: setting(
    'LIGHTBOX_ACTIVE_ENHANCEMENTS_PER_ACCOUNT',
    '2',
    int(1, 1000),
    'Non-terminal batches per account.',
  ),
  createsPerMinute: setting('LIGHTBOX_ENHANCEMENT_CREATES_PER_MINUTE', '60', int(1, 1_000_000), 'Per key.'),
  readsPerMinute: setting('LIGHTBOX_ENHANCEMENT_READS_PER_MINUTE', '600', int(1, 1_000_000), 'Per key.'),
  sweepIntervalSeconds: setting(
    'LIGHTBOX_SWEEP_INTERVAL_SECONDS',
    '300',
    int(1, 86400),
    'How often the retention sweeper deletes expired media and owed blobs.',
  ),
  enhanceProviders: setting(
    'LIGHTBOX_ENHANCE_PROVIDERS',
    'auto',
    providerChain,
    'Segmentation providers tried in order, comma-separated: `onnx`, `http`, `classical`. `auto`: `onnx,classical` when a model is set or installed, else `classical`.',
  ),
  segmentationModel: setting(
    'LIGHTBOX_SEGMENTATION_MODEL',
    null,
    optionalString,
    'Model of the `onnx` provider: a profile name (`isnet`, `u2net`, `birefnet`, `inspyrenet`: `<data>/models/<its file>`, see `lightbox models`) or a path to an ONNX file. Unset: the first installed profile.',
  ),
  segmentationProfile: setting(
    'LIGHTBOX_SEGMENTATION_PROFILE',
    null,
    optionalString,
    'Profile (input, normalisation, output) of a model given by path. Unset: the profile whose file name it has, else `isnet`.',
  ),
  enhanceHttpUrl: setting(
    'LIGHTBOX_ENHANCE_HTTP_URL',
    null,
    optionalHttpUrl,
    'Remote segmentation service for the `http` provider (POST image, returns a mask or a cut-out).',
  ),
  enhanceTimeoutSeconds: setting(
    'LIGHTBOX_ENHANCE_TIMEOUT_SECONDS',
    '60',
    int(1, 3600),
    'Per-item provider timeout.',
  ),
  enhanceMaxUpscale: setting(
    'LIGHTBOX_ENHANCE_MAX_UPSCALE',
    '4',
    decimal(1, 100),
    'Largest enlargement of the product to fill the catalog canvas; an item that needs more fails with `provider_error` (send a larger photo). Above 2× the item gets the `upscaled` warning.',
  ),
  enhanceShadow: setting(
    'LIGHTBOX_ENHANCE_SHADOW',
    'remove',
    oneOf('remove', 'synthetic'),
    'What replaces a soft cast shadow the classical segmenter removed: `remove` (nothing: pure white) or `synthetic` (a clean soft contact shadow under the product; fill and centring are measured on the product).',
  ),
  onnxConcurrency: setting(
    'LIGHTBOX_ONNX_CONCURRENCY',
    '1',
    int(1, 16),
    'Parallel ONNX inferences (each ~1.5-2 GB RAM).',
  ),
  onnxThreads: setting('LIGHTBOX_ONNX_THREADS', '2', int(1, 64), 'Intra-op threads per ONNX inference.'),
  renditionsPerMedia: setting(
    'LIGHTBOX_RENDITIONS_PER_MEDIA',
    '50',
    int(1, 10_000),
    'Distinct cached renditions per image (the presets `s`, `m`, `l`, `social` and the original are always allowed).',
  ),
  renditionCacheMb: setting(
    'LIGHTBOX_RENDITION_CACHE_MB',
    '10240',
    int(1, 100_000_000),
    `Bytes of all cached renditions (${MB}); past it the least recently used are evicted. Originals are never evicted.`,
  ),
  uncachedRenditionsPerMinute: setting(
    'LIGHTBOX_UNCACHED_RENDITIONS_PER_MINUTE',
    '60',
    int(1, 1_000_000),
    'Renditions one client IP may have made (cache misses) per minute; cache hits are not counted.',
  ),
  signedTransforms: setting(
    'LIGHTBOX_SIGNED_TRANSFORMS',
    '0',
    bool,
    'Only `src` URLs handed out by the API or signed with the account secret may carry `w`/`h`/`q`/`fit`.',
  ),
  corsOrigins: setting(
    'LIGHTBOX_CORS_ORIGINS',
    '',
    corsOrigins,
    'Origins allowed to call the API families from a browser, comma-separated, or `*`. Empty: none. Never with credentials for `/admin`.',
  ),
  contentPolicy: setting(
    'LIGHTBOX_CONTENT_POLICY',
    '',
    regexList,
    'Case-insensitive patterns (separated by `;;` or newlines) refused in `instructions`.',
  ),
  // Web pages, sign-in and the owner dashboard (docs/web.md).
  supportUrl: setting(
    'LIGHTBOX_SUPPORT_URL',
    null,
    optionalHttpUrl,
    'Where pages send people who need help (upgrade without billing, suspended account, error pages). Unset: not shown.',
  ),
  supportEmail: setting(
    'LIGHTBOX_SUPPORT_EMAIL',
    null,
    optionalString,
    'Support address shown on the same pages. Unset: not shown.',
  ),
  sessionIdleMinutes: setting(
    'LIGHTBOX_SESSION_IDLE_MINUTES',
    '120',
    int(1, 43_200),
    'A dashboard session ends after this many minutes without a request.',
  ),
  sessionMaxHours: setting(
    'LIGHTBOX_SESSION_MAX_HOURS',
    '24',
    int(1, 8_760),
    'A dashboard session ends this many hours after sign-in, however much it is used.',
  ),
  signInPerEmailPerHour: setting(
    'LIGHTBOX_SIGN_IN_PER_EMAIL_PER_HOUR',
    '5',
    int(1, 100_000),
    'Sign-in links requested per email address.',
  ),
  signInPerIpPerHour: setting(
    'LIGHTBOX_SIGN_IN_PER_IP_PER_HOUR',
    '20',
    int(1, 100_000),
    'Sign-in links requested per client IP.',
  ),
  dashboardMaxActiveKeys: setting(
    'LIGHTBOX_DASHBOARD_MAX_ACTIVE_KEYS',
    '5',
    int(1, 10_000),
    'Active (or pending) keys an account may have for the dashboard to create or reactivate one.',
  ),
  dashboardKeysPerHour: setting(
    'LIGHTBOX_DASHBOARD_KEY_CREATES_PER_HOUR',
    '5',
    int(1, 100_000),
    'Keys an owner may create in the dashboard per hour.',
  ),
  dashboardKeysPerDay: setting(
    'LIGHTBOX_DASHBOARD_KEY_CREATES_PER_DAY',
    '20',
    int(1, 100_000),
    'Keys an owner may create in the dashboard per day.',
  ),
  metricsToken: setting(
    'LIGHTBOX_METRICS_TOKEN',
    null,
    secretString(24),
    'Bearer token (≥ 24 chars) that `GET /metrics` on the main port requires. Unset (and no metrics port): `/metrics` is 404.',
  ),
  metricsPort: setting(
    'LIGHTBOX_METRICS_PORT',
    null,
    optionalInt(1, 65535),
    'Serve `/metrics` on this port instead, on its own listener (with the token too when one is set).',
  ),
  metricsHost: setting(
    'LIGHTBOX_METRICS_HOST',
    '127.0.0.1',
    str,
    'Interface of the metrics port. Loopback by default: open it to your Prometheus deliberately.',
  ),
  shutdownGraceSeconds: setting(
    'LIGHTBOX_SHUTDOWN_GRACE_SECONDS',
    '30',
    int(1, 3600),
    'On SIGTERM/SIGINT: how long requests and running jobs get to finish before they are cut (jobs go back to the queue).',
  ),
  jobLeaseSeconds: setting(
    'LIGHTBOX_JOB_LEASE_SECONDS',
    '30',
    int(2, 3600),
    "How long a job stays owned without a heartbeat: a crashed worker's jobs run again after about this long.",
  ),
  mcpMaxBodyMb: setting(
    'LIGHTBOX_MCP_MAX_BODY_MB',
    '16',
    int(1, 512),
    'Largest request to `/mcp` (MB). Bounds images sent base64 to `upload_image` (about ¾ of it).',
  ),
  // The user CLI and `lightbox mcp` (docs/cli.md): read by `cliEnvironment`, never by the server.
  cliUrl: setting(
    'LIGHTBOX_URL',
    null,
    optionalHttpUrl,
    'CLI and `lightbox mcp`: the server to talk to, over the one saved by `lightbox login`.',
  ),
  cliApiKey: setting(
    'LIGHTBOX_API_KEY',
    null,
    optionalString,
    'CLI and `lightbox mcp`: the API key to use, over the one saved by `lightbox login`.',
  ),
  // Operator pages (`/admin`, docs/web.md): sign-in with the admin token, then a session of their own.
  adminSignInPerIpPerHour: setting(
    'LIGHTBOX_ADMIN_SIGN_IN_PER_IP_PER_HOUR',
    '10',
    int(1, 100_000),
    'Operator sign-in attempts (the admin token typed into `/admin/sign-in`) per client IP, right or wrong.',
  ),
  adminSessionIdleMinutes: setting(
    'LIGHTBOX_ADMIN_SESSION_IDLE_MINUTES',
    '30',
    int(1, 43_200),
    'An operator session ends after this many minutes without a request.',
  ),
  adminSessionMaxHours: setting(
    'LIGHTBOX_ADMIN_SESSION_MAX_HOURS',
    '8',
    int(1, 8_760),
    'An operator session ends this many hours after sign-in, however much it is used.',
  ),
} as const;

export type Settings = typeof settings;
export type SettingName = keyof Settings;
export type SettingValues = { [K in SettingName]: ReturnType<Settings[K]['parse']> };
