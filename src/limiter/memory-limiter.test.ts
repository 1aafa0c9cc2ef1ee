import { limiterContract } from './limiter.contract.ts';
import { createMemoryLimiter } from './memory-limiter.ts';

limiterContract('memory', async () => createMemoryLimiter());
