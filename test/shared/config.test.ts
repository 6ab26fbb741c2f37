import { afterEach, describe, expect, it } from 'vitest';
import { config, resetConfig } from '../../functions/shared/config.ts';

/** The runtime minimums protect customers: a parked query lives ≥ 48 h, a top-up retry is replayed for ≥ 24 h. */
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  resetConfig();
});

function configWith(variables: Record<string, string>) {
  process.env = { ...saved, TABLE_NAME: 'tollgate-test', ...variables };
  resetConfig();
  return config();
}

describe('runtime configuration limits', () => {
  it.each([
    ['PARKED_QUERY_TTL_HOURS', '47'],
    ['PARKED_QUERY_TTL_HOURS', '721'],
    ['PARKED_QUERY_TTL_HOURS', '48.5'],
    ['IDEMPOTENCY_TTL_HOURS', '23'],
    ['IDEMPOTENCY_TTL_HOURS', '0'],
  ])('%s=%s fails the cold start, naming the variable', (name, value) => {
    expect(() => configWith({ [name]: value })).toThrow(name);
  });

  it.each([
    ['PARKED_QUERY_TTL_HOURS', '48', 48],
    ['PARKED_QUERY_TTL_HOURS', '720', 720],
    ['IDEMPOTENCY_TTL_HOURS', '24', 24],
  ])('%s=%s is accepted', (name, value, expected) => {
    expect(configWith({ [name]: value })[name as 'PARKED_QUERY_TTL_HOURS']).toBe(expected);
  });

  it('defaults to 48 h for both', () => {
    const { PARKED_QUERY_TTL_HOURS, IDEMPOTENCY_TTL_HOURS } = configWith({});
    expect([PARKED_QUERY_TTL_HOURS, IDEMPOTENCY_TTL_HOURS]).toEqual([48, 48]);
  });
});
