import { describe, expect, it } from 'vitest';
import { recordError, restoreError } from './recorded-error.ts';

describe('recorded errors', () => {
  it('keep the name and the whole message', () => {
    const original = Object.assign(new Error('disk full: /data'), { name: 'StorageFailure' });
    const restored = restoreError(recordError(original));
    expect([restored.name, restored.message]).toEqual(['StorageFailure', 'disk full: /data']);
  });

  it('record thrown non-errors as plain errors', () => {
    expect(recordError('nope')).toBe('Error: nope');
  });

  it('stand in for a lost attempt when nothing was recorded', () => {
    expect(restoreError(null).name).toBe('JobInterrupted');
  });
});
