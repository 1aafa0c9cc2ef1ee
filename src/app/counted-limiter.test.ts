import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMemoryLimiter } from '../limiter/memory-limiter.ts';
import { countRefusals, limitOf } from './counted-limiter.ts';

const SRC = fileURLToPath(new URL('..', import.meta.url));

/** Every `prefix:${…}` template literal in a production file of src/ that calls `limiter.hit`. */
function limiterKeyPrefixes(): string[] {
  const prefixes = new Set<string>();
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.contract.ts'),
  );
  for (const file of files) {
    const text = readFileSync(path.join(SRC, file), 'utf8');
    if (!text.includes('limiter.hit(')) continue;
    for (const match of text.matchAll(/`([a-z][a-z-]*:(?:[a-z]+:)?)\$\{/g)) prefixes.add(match[1] as string);
  }
  return [...prefixes];
}

describe('rate-limit refusals by limit', () => {
  it('names every limit the code applies, so no refusal is counted as `other`', () => {
    const prefixes = limiterKeyPrefixes();
    expect(prefixes.length).toBeGreaterThanOrEqual(5);
    for (const prefix of prefixes) expect(limitOf(`${prefix}anything`), prefix).not.toBe('other');
  });

  it('never makes a label of the variable part of a key (an IP, an email, a key id)', () => {
    expect(limitOf('keys:email:someone@example.test')).toBe('keys_per_email');
    expect(limitOf('src-miss:::1')).toBe('uncached_renditions');
    expect(limitOf('unknown:203.0.113.9')).toBe('other');
  });

  it('reports refusals only, and passes decisions through unchanged', async () => {
    const refused: string[] = [];
    const limiter = countRefusals(createMemoryLimiter(), (limit) => refused.push(limit));
    const rule = { limit: 2, periodMs: 60_000 };
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.hit('enh:read:key_1', rule, 1_000));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(decisions[2]?.retryAfter).toBeGreaterThan(0);
    expect(refused).toEqual(['enhancement_reads']);
    await limiter.close();
  });
});
