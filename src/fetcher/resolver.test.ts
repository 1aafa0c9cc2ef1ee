import { lookup } from 'node:dns/promises';
import { describe, expect, it, vi } from 'vitest';
import { SafeFetcher } from './safe-fetcher.ts';

// The default resolver is the system one; here it is replaced so that no test queries real DNS.
vi.mock('node:dns/promises', () => ({
  lookup: vi.fn(async () => [
    { address: '93.184.216.34', family: 4 },
    { address: '10.0.0.1', family: 4 },
  ]),
}));

describe('default resolver', () => {
  it('asks the system resolver for every address and checks them all', async () => {
    const result = await new SafeFetcher().checkUrl('https://example.com/');
    expect(lookup).toHaveBeenCalledWith('example.com', { all: true });
    expect(result).toMatchObject({ ok: false, reason: 'blocked' });
  });
});
