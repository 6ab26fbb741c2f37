import { describe, expect, it } from 'vitest';
import { BREAKER_THRESHOLD, breakerAfterFailure, breakerOpenUntil, nextAttemptAfterFailure } from '../../functions/webhooks/policy.ts';

const policy = { baseMs: 5_000, windowHours: 26, disableAfterHours: 72 };
const t0 = new Date('2026-11-30T00:00:00.000Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe('nextAttemptAfterFailure', () => {
  it('backs off exponentially from the base, capped at an hour', () => {
    expect(nextAttemptAfterFailure(1, t0, t0, policy)).toEqual(later(5_000));
    expect(nextAttemptAfterFailure(2, t0, t0, policy)).toEqual(later(10_000));
    expect(nextAttemptAfterFailure(5, t0, t0, policy)).toEqual(later(80_000));
    expect(nextAttemptAfterFailure(30, t0, t0, policy)).toEqual(later(3_600_000));
  });

  it('keeps retrying for the whole window (at least 24 h), with a last attempt at its end, then stops', () => {
    let now = t0;
    let attempts = 0;
    for (let next = nextAttemptAfterFailure(++attempts, t0, now, policy); next; next = nextAttemptAfterFailure(++attempts, t0, now, policy)) now = next;
    expect(now).toEqual(later(26 * 3_600_000));
    expect(now.getTime() - t0.getTime()).toBeGreaterThanOrEqual(24 * 3_600_000);
  });
});

describe('breakerAfterFailure', () => {
  it(`opens after ${BREAKER_THRESHOLD} failures in a row, for a rest of 12 bases`, () => {
    let state = {};
    for (let i = 1; i < BREAKER_THRESHOLD; i++) state = breakerAfterFailure(state, t0, policy);
    expect(breakerOpenUntil(state, t0)).toBeUndefined();
    state = breakerAfterFailure(state, t0, policy);
    expect(breakerOpenUntil(state, t0)).toEqual(later(60_000));
    expect(breakerOpenUntil(state, later(60_000))).toBeUndefined();
  });

  it('disables an endpoint that has failed without a success for the disable period, and says why', () => {
    const state = breakerAfterFailure({}, t0, policy);
    expect(breakerAfterFailure(state, later(71 * 3_600_000), policy).disable).toBeUndefined();
    expect(breakerAfterFailure(state, later(72 * 3_600_000), policy).disable).toMatch(/since 2026-11-30T00:00:00.000Z failed .*72 h/);
  });
});

describe('signingSecrets', () => {
  it('signs with the old secret too until the overlap ends, then with the current one only', async () => {
    const { signingSecrets } = await import('../../functions/webhooks/deliver.ts');
    const secrets = { current: 'whsec_new', previous: 'whsec_old', previousUntil: later(1_000).toISOString() };
    expect(signingSecrets(secrets, t0)).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(secrets, later(1_000))).toEqual(['whsec_new']);
    expect(signingSecrets({ current: 'whsec_new' }, t0)).toEqual(['whsec_new']);
  });
});
