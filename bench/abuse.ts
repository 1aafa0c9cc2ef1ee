// Issue 13: rendition amplification and cache flooding against a Lightbox child process, with innocent traffic
// (cached hits, one uncached rendition) measured during each attack. Loopback only.
//
//   npx tsx bench/abuse.ts [--before <repo>] [--no-write]
//
// With `--before <repo>` (a worktree of the code to compare, e.g. `git worktree add /tmp/lightbox-before HEAD`)
// every case runs against that code first, then against this repository; the `## Abuse (issue 13)` section of
// docs/benchmarks.md gets both columns.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharp } from '../src/imaging/sharp-lib.ts';
import { animated } from '../src/imaging/testing/fixtures.ts';
import { type LightboxServer, startLightbox, type UploadedMedia } from './lib/lightbox.ts';
import { fixed, percentile, table } from './lib/stats.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const beforeRepo = args.includes('--before') ? args[args.indexOf('--before') + 1] : undefined;
const write = !args.includes('--no-write');
/** No bench request waits longer than this: the "before" code takes ~60 s for the GIF case. */
const REQUEST_TIMEOUT_MS = 75_000;
const ATTACKER = '203.0.113.7';
const INNOCENT = '198.51.100.20';

interface CaseResult {
  name: string;
  /** Slowest attack request (s), and how many attack requests failed (timeout or 5xx). */
  slowestS: number;
  failed: number;
  cpuS: number;
  peakRssMb: number;
  cachedP95Ms: number;
  innocentUncachedS: number;
  note: string;
}

interface Timed {
  status: number;
  ms: number;
  bytes: number;
}

async function timed(url: string, ip: string): Promise<Timed> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      headers: { 'x-forwarded-for': ip },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started, bytes: body.byteLength };
  } catch {
    return { status: 0, ms: performance.now() - started, bytes: 0 };
  }
}

const at = (server: LightboxServer, media: UploadedMedia, ext: string, query: string) =>
  `${server.url}${new URL(media.src).pathname.replace(/\.[a-z]+$/, `.${ext}`)}?${query}`;

async function countFiles(dir: string): Promise<number> {
  try {
    return (await readdir(dir)).length;
  } catch {
    return 0;
  }
}

async function runAgainst(repo: string, label: string): Promise<CaseResult[]> {
  const dataDir = path.join(tmpdir(), `lightbox-bench-abuse-${label}-${randomBytes(4).toString('hex')}`);
  const server = await startLightbox({
    repo,
    dataDir,
    // A proxy in front tells attacker and innocent apart (both come from 127.0.0.1 here).
    env: { LIGHTBOX_TRUSTED_PROXIES: '127.0.0.1', LIGHTBOX_LOG_LEVEL: 'warn' },
  });
  const files = path.join(dataDir, 'bench-files');
  await import('node:fs/promises').then((fs) => fs.mkdir(files, { recursive: true }));
  const file = async (name: string, bytes: Buffer) => {
    const target = path.join(files, name);
    await writeFile(target, bytes);
    return target;
  };
  const results: CaseResult[] = [];
  try {
    const photo = await server.upload(
      await file(
        'photo.jpg',
        await sharp(randomBytes(400 * 300 * 3), { raw: { width: 400, height: 300, channels: 3 } })
          .resize(2000, 1500, { kernel: 'cubic' })
          .jpeg({ quality: 85 })
          .toBuffer(),
      ),
    );
    const cachedUrl = at(server, photo, 'webp', 'size=m');
    await timed(cachedUrl, INNOCENT);
    let innocentW = 700;

    /** Runs `attack` while an innocent client makes cached hits and, after 1 s, one uncached rendition. */
    async function measure(name: string, attack: () => Promise<Timed[]>, note: (r: Timed[]) => string) {
      const cpu0 = (await server.child.cpuSeconds()) ?? 0;
      let peak = (await server.child.rss()) ?? 0;
      let running = true;
      const sampler = (async () => {
        while (running) {
          peak = Math.max(peak, (await server.child.rss()) ?? 0);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const cached: number[] = [];
      const hits = (async () => {
        while (running) {
          cached.push((await timed(cachedUrl, INNOCENT)).ms);
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      const uncached = (async () => {
        await new Promise((r) => setTimeout(r, 1000));
        return timed(at(server, photo, 'webp', `w=${innocentW++}`), INNOCENT);
      })();
      const attacked = await attack();
      const innocent = await uncached;
      running = false;
      await Promise.all([sampler, hits]);
      const cpu1 = (await server.child.cpuSeconds()) ?? 0;
      const result: CaseResult = {
        name,
        slowestS: Math.max(...attacked.map((r) => r.ms)) / 1000,
        failed: attacked.filter((r) => r.status === 0 || r.status >= 500).length,
        cpuS: cpu1 - cpu0,
        peakRssMb: peak / 1024 / 1024,
        cachedP95Ms: percentile(cached, 95),
        innocentUncachedS: innocent.ms / 1000,
        note: note(attacked),
      };
      console.log(label, JSON.stringify(result));
      results.push(result);
    }

    const gif = await server.upload(await file('frames.gif', await animated('gif', 1000, 16, 16)));
    await measure(
      '1000-frame GIF (40 KB) `w=8192&h=8192&fit=pad`',
      async () => [await timed(at(server, gif, 'gif', 'w=8192&h=8192&fit=pad'), ATTACKER)],
      (r) => `${r[0]?.status} ${fixed((r[0]?.bytes ?? 0) / 1024, 0)} KB`,
    );

    const tiny = await server.upload(
      await file(
        'tiny.png',
        await sharp({ create: { width: 10, height: 10, channels: 4, background: '#3a7' } })
          .png()
          .toBuffer(),
      ),
    );
    await measure(
      'tiny PNG `format=avif&w=8192&h=8192&fit=pad`',
      async () => [await timed(at(server, tiny, 'png', 'format=avif&w=8192&h=8192&fit=pad'), ATTACKER)],
      (r) => `${r[0]?.status} ${fixed((r[0]?.bytes ?? 0) / 1024, 0)} KB`,
    );
    await measure(
      'repeats `w=8191`, `8190`, `8189` (AVIF pad)',
      async () => {
        const out: Timed[] = [];
        for (const w of [8191, 8190, 8189]) {
          out.push(await timed(at(server, tiny, 'png', `format=avif&w=${w}&h=${w}&fit=pad`), ATTACKER));
        }
        return out;
      },
      (r) => r.map((x) => `${x.status}`).join(' '),
    );

    const target = await server.upload(
      await file(
        'target.jpg',
        await sharp(randomBytes(300 * 200 * 3), { raw: { width: 300, height: 200, channels: 3 } })
          .resize(1200, 800)
          .jpeg()
          .toBuffer(),
      ),
    );
    await measure(
      '300 distinct renditions of one image (300 client IPs, 4 at a time)',
      async () => {
        const out: Timed[] = [];
        for (let i = 0; i < 300; i += 4) {
          out.push(
            ...(await Promise.all(
              [0, 1, 2, 3].map((j) =>
                timed(at(server, target, 'webp', `w=${100 + i + j}`), `203.0.113.${(i + j) % 250}`),
              ),
            )),
          );
        }
        return out;
      },
      () => '',
    );
    // Writes follow responses: give the last ones a moment before counting.
    await new Promise((r) => setTimeout(r, 1000));
    const stored = await countFiles(path.join(dataDir, 'blobs', 'renditions', target.id));
    const last = results[results.length - 1];
    if (last) last.note = `${stored} renditions stored`;

    const flood: UploadedMedia[] = [];
    for (let i = 0; i < 5; i++) {
      flood.push(
        await server.upload(
          await file(
            `flood-${i}.jpg`,
            await sharp(randomBytes(200 * 150 * 3), { raw: { width: 200, height: 150, channels: 3 } })
              .resize(1600, 1200)
              .jpeg()
              .toBuffer(),
          ),
        ),
      );
    }
    await measure(
      'flood: 400 uncached renditions from one IP (8 at a time)',
      async () => {
        const out: Timed[] = [];
        for (let i = 0; i < 400; i += 8) {
          out.push(
            ...(await Promise.all(
              Array.from({ length: 8 }, (_, j) => {
                const media = flood[(i + j) % flood.length] as UploadedMedia;
                return timed(
                  at(server, media, 'webp', `w=${200 + i + j}&q=${((i + j) % 50) + 40}`),
                  ATTACKER,
                );
              }),
            )),
          );
        }
        return out;
      },
      (r) => {
        const by = new Map<number, number>();
        for (const x of r) by.set(x.status, (by.get(x.status) ?? 0) + 1);
        return [...by].map(([s, n]) => `${n}× ${s}`).join(', ');
      },
    );
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return results;
}

const before = beforeRepo ? await runAgainst(path.resolve(beforeRepo), 'before') : [];
const after = await runAgainst(ROOT, 'after');

const cell = (r: CaseResult | undefined, pick: (r: CaseResult) => string) => (r ? pick(r) : '—');
const rows = after.map((a, i) => {
  const b = before[i];
  const both = (pick: (r: CaseResult) => string) =>
    before.length ? `${cell(b, pick)} → ${pick(a)}` : pick(a);
  return [
    a.name,
    both((r) => `${fixed(r.slowestS, 1)} s${r.failed ? ` (${r.failed} failed)` : ''}`),
    both((r) => `${fixed(r.cpuS, 1)} s`),
    both((r) => `${fixed(r.peakRssMb, 0)} MB`),
    both((r) => `${fixed(r.cachedP95Ms, 1)} ms`),
    both((r) => `${fixed(r.innocentUncachedS, 2)} s`),
    both((r) => r.note),
  ];
});
const report = table(
  [
    'case',
    'slowest attack request',
    'server CPU',
    'peak RSS',
    'innocent cached p95',
    'innocent uncached',
    'outcome',
  ],
  rows,
);
console.log(`\n${report}`);

if (write) {
  const docs = path.join(ROOT, 'docs/benchmarks.md');
  const text = await readFile(docs, 'utf8');
  const heading = '## Abuse (issue 13)';
  const section = [
    heading,
    '',
    `\`npx tsx bench/abuse.ts${beforeRepo ? ' --before <worktree of the previous commit>' : ''}\` on this machine ` +
      `(${new Date().toISOString().slice(0, 10)}); ${before.length ? 'before → after' : 'after only'}. ` +
      'Goals: no request above 10 s or 512 MB, innocent cached p95 < 50 ms and innocent uncached < 5 s during ' +
      'each attack, 300 distinct renditions store ≤ LIGHTBOX_RENDITIONS_PER_MEDIA (50). Peak RSS is the whole ' +
      'server process; CPU is the server’s over the case.',
    '',
    report,
    '',
  ].join('\n');
  const start = text.indexOf(heading);
  const next = start === -1 ? -1 : text.indexOf('\n## ', start + heading.length);
  const updated =
    start === -1
      ? `${text.trimEnd()}\n\n${section}`
      : `${text.slice(0, start)}${section}${next === -1 ? '' : text.slice(next + 1)}`;
  await writeFile(docs, updated.endsWith('\n') ? updated : `${updated}\n`);
  console.log(`wrote ${heading} to docs/benchmarks.md`);
}
