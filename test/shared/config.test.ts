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
  ])('%s=%s fails its first read, naming the variable', (name, value) => {
    expect(() => configWith({ [name]: value })[name as 'PARKED_QUERY_TTL_HOURS']).toThrow(name);
  });

  it.each([
    ['PARKED_QUERY_TTL_HOURS', '48', 48],
    ['PARKED_QUERY_TTL_HOURS', '720', 720],
    ['IDEMPOTENCY_TTL_HOURS', '24', 24],
  ])('%s=%s is accepted', (name, value, expected) => {
    expect(configWith({ [name]: value })[name as 'PARKED_QUERY_TTL_HOURS']).toBe(expected);
  });

  it('reads each setting on first use, so a malformed one stops only what uses it', () => {
    const settings = configWith({ STRIPE_SECRET_KEY: 'pk_live_not_a_secret_key', PARKED_QUERY_TTL_HOURS: '72' });
    expect(settings.TABLE_NAME).toBe('tollgate-test');
    expect(settings.PARKED_QUERY_TTL_HOURS).toBe(72);
    expect(() => settings.STRIPE_SECRET_KEY).toThrow('Invalid Tollgate configuration: STRIPE_SECRET_KEY: must be a Stripe secret key');
  });

  it('keeps a value once read, until reset', () => {
    const settings = configWith({ PARKED_QUERY_TTL_HOURS: '72' });
    expect(settings.PARKED_QUERY_TTL_HOURS).toBe(72);
    process.env.PARKED_QUERY_TTL_HOURS = '96';
    expect(config().PARKED_QUERY_TTL_HOURS).toBe(72);
    resetConfig();
    expect(config().PARKED_QUERY_TTL_HOURS).toBe(96);
  });

  it('defaults to 48 h for both', () => {
    const { PARKED_QUERY_TTL_HOURS, IDEMPOTENCY_TTL_HOURS } = configWith({});
    expect([PARKED_QUERY_TTL_HOURS, IDEMPOTENCY_TTL_HOURS]).toEqual([48, 48]);
  });
});
