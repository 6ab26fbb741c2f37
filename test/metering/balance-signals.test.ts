import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceSignalHeaders, lowBalance } from '../../functions/metering/balance-signals.ts';
import { verifyLink } from '../../functions/shared/signed-links.ts';
import { ADMIN_KEY, LINK_SECRET, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';

describe('balanceSignalHeaders', () => {
  it('advertises the prepaid credits as a RateLimit quota: q what the top-up left, r what remains', () => {
    expect(balanceSignalHeaders({ balance: 60, baseline: 200 })).toEqual({ 'RateLimit-Policy': '"credits";q=200', RateLimit: '"credits";r=60' });
  });

  it.each([
    [11, undefined],
    [10, { percent: 5, level: 10 }],
    [0, { percent: 5, level: 10 }],
  ])('at %i credits of 200 (lowest threshold 5 %%, level 10) the balance is low: %o', (balance, expected) => {
    expect(lowBalance({ balance, baseline: 200 })).toEqual(expected);
  });

  it('measures against the account’s own lowest threshold, and never without a baseline', () => {
    expect(lowBalance({ balance: 30, baseline: 100, alerts: { thresholds: [40, 30], enabled: true } })).toEqual({ percent: 30, level: 30 });
    expect(lowBalance({ balance: 0 })).toBeUndefined();
  });

  it('carries the threshold, its level and the usage link in Credits-Low', () => {
    expect(balanceSignalHeaders({ balance: 3, baseline: 100 }, 'https://api.example.com/usage?token=abc')['Credits-Low']).toBe(
      'threshold=5, level=5, usage="https://api.example.com/usage?token=abc"',
    );
  });
});

describe('in-band signals on metered answers', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('Credits-Low appears exactly when the balance is at or under the lowest threshold, with a signed usage-page link', async () => {
    const c = await newCustomer(app.url, 100);
    const search = () => call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'search', input: { q: 'valve' } } });
    await call(app.url, 'POST', `/v1/accounts/${c.accountId}/debits`, { token: ADMIN_KEY, body: { credits: 93, operation: 'x' }, idempotencyKey: 'spend' });
    const above = await search(); // 6 left: above the 5 % level (5)
    expect(above.status).toBe(200);
    expect(above.headers.get('credits-low')).toBeNull();
    expect(above.headers.get('ratelimit')).toBe('"credits";r=6');
    expect(above.headers.get('ratelimit-policy')).toBe('"credits";q=100');
    const at = await search(); // 5 left: at the level
    expect(at.headers.get('credits-remaining')).toBe('5');
    const low = at.headers.get('credits-low');
    expect(low).toMatch(/^threshold=5, level=5, usage="http:\/\/127\.0\.0\.1:\d+\/usage\?token=[^"]+"$/);
    const token = new URL(low?.match(/usage="([^"]+)"/)?.[1] ?? '').searchParams.get('token') ?? '';
    expect(verifyLink(token, 'usage', new Date(), LINK_SECRET).accountId).toBe(c.accountId);

    await call(app.url, 'POST', `/v1/accounts/${c.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 95 }, idempotencyKey: 'refill' });
    const refilled = await search(); // 99 of a baseline of 100
    expect(refilled.headers.get('credits-low')).toBeNull();
    expect(refilled.headers.get('ratelimit')).toBe('"credits";r=99');
  });
});
