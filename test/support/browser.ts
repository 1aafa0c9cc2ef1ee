// The browser harness of the end-to-end suites (test/web-*.test.ts): Debian's Chromium driven by playwright-core,
// one browser per test file, a fresh profile each time. Pages are checked the way a person meets them: screenshots
// to look at, an axe-core accessibility scan, and every console error (CSP violations included) collected.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const CHROMIUM_PATH = process.env.LIGHTBOX_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go (gitignored): look at them after a run. */
const SCREENSHOT_DIR = fileURLToPath(new URL('../screenshots/', import.meta.url));

/** The flags of a quiet, sandbox-less headless Chromium that reaches nothing but the server under test. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const PHONE = { width: 390, height: 844 } as const;
const DESKTOP = { width: 1280, height: 900 } as const;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab; every console error and page error on it lands in `errors`. */
  newPage(options?: {
    colorScheme?: 'light' | 'dark';
    viewport?: { width: number; height: number };
  }): Promise<Page & { errors: string[] }>;
  /** Writes `test/screenshots/<name>.png` (the whole page). */
  screenshot(page: Page, name: string): Promise<string>;
  /** axe-core's violations of serious or critical impact on the page as it is now. */
  seriousViolations(page: Page): Promise<AxeViolation[]>;
  close(): Promise<void>;
}

export async function startBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or set LIGHTBOX_TEST_CHROMIUM)`,
    );
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'lightbox-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: DESKTOP,
    // The clipboard is part of what is tested (copy buttons).
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // The persistent context opens one blank tab; tests use their own.
  for (const page of context.pages()) await page.close();

  return {
    context,
    async newPage(options = {}) {
      const page = (await context.newPage()) as Page & { errors: string[] };
      page.errors = [];
      page.on('console', (message) => {
        if (message.type() === 'error') page.errors.push(message.text());
      });
      page.on('pageerror', (error) => page.errors.push(error.message));
      await page.emulateMedia({ colorScheme: options.colorScheme ?? 'light' });
      await page.setViewportSize(options.viewport ?? DESKTOP);
      return page;
    },
    async screenshot(page, name) {
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async seriousViolations(page) {
      // Evaluated through the DevTools protocol, so the page's CSP (no inline script) does not stop it, and the
      // page's own scripts are not changed.
      await page.evaluate(`${axe.source}\n;0`);
      const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
        violations: AxeViolation[];
      };
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** A readable summary of axe violations for an assertion message. */
export const describeViolations = (violations: AxeViolation[]): string =>
  violations
    .map((v) => `${v.impact} ${v.id}: ${v.help} @ ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`)
    .join('\n');
