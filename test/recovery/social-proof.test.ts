import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sesSender } from '../../functions/alerts/ses-sender.ts';
import { httpHandler } from '../../functions/http/handler.ts';
import { queryRoutes } from '../../functions/queries/routes.ts';
import { catalogService } from '../../functions/queries/service.ts';
import { recoveryRate } from '../../functions/recovery/social-proof.ts';
import type { Clock } from '../../functions/shared/clock.ts';
import { createStreamHandler } from '../../functions/streams/handler.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { mailTo, newAddress } from '../support/inbox.ts';
import { pricing } from '../support/prices.ts';

const HOUR = 3_600_000;
const now = new Date('2026-11-25T12:00:00Z');
const episode = (hoursAgo: number, recoveredAfterHours?: number) => ({
  startedAt: new Date(now.getTime() - hoursAgo * HOUR).toISOString(),
  recoveredAt: recoveredAfterHours === undefined ? undefined : new Date(now.getTime() - (hoursAgo - recoveredAfterHours) * HOUR).toISOString(),
});

describe('recoveryRate', () => {
  it('counts episodes whose outcome is known, recovered within 48 h', () => {
    const episodes = [episode(100, 1), episode(100, 47), episode(100, 49), episode(100), episode(60, 2), episode(10, 1), episode(24 * 40, 1)];
    // Decided: started 48 h – 32 days ago → the first five; recovered within 48 h: three of them.
    expect(recoveryRate('starter', episodes, now, 5)).toEqual({ plan: 'starter', percent: 60, sample: 5, recoveryHours: 48, windowDays: 30 });
  });

  it('shows nothing below the minimum sample', () => {
    expect(recoveryRate('starter', [episode(100, 1), episode(100, 1)], now, 3)).toBeUndefined();
    expect(recoveryRate('starter', [], now, 1)).toBeUndefined();
  });
});

describe('social proof in the 402 and the depletion email, from real episodes', () => {
  let app: TestApp;
  let offset = 0;
  const clock: Clock = { now: () => new Date(Date.now() + offset) };
  beforeAll(async () => {
    process.env.SOCIAL_PROOF_MIN_SAMPLE = '4';
    app = await startTestApp({
      lambdas: () => ({ queries: httpHandler(queryRoutes({ service: catalogService, pricing, clock })) }),
      stream: () => createStreamHandler({ sender: sesSender(), clock, pricing }),
    });
  });
  afterAll(async () => {
    delete process.env.SOCIAL_PROOF_MIN_SAMPLE;
    await app.stop();
  });

  async function runOut(plan: string, thenTopUp: boolean) {
    const c = await newCustomer(app.url, 3, plan);
    expect((await call(app.url, 'POST', '/v1/queries', { token: c.apiKey, body: { operation: 'report' } })).status).toBe(402);
    await app.settle();
    if (thenTopUp) await call(app.url, 'POST', `/v1/accounts/${c.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 50 }, idempotencyKey: 'back' });
  }

  it('is computed per plan and shown only above the minimum sample', async () => {
    for (const recovered of [true, true, true, false, false]) await runOut('burst', recovered);
    for (const recovered of [true, false]) await runOut('growth', recovered);
    await app.settle();
    offset = 49 * HOUR; // every episode above is now old enough to have an outcome

    const email = newAddress();
    const burst = await newCustomer(app.url, 3, 'burst', email);
    const refused = await call(app.url, 'POST', '/v1/queries', { token: burst.apiKey, body: { operation: 'report' } });
    expect(refused.status).toBe(402);
    expect(refused.body.socialProof).toEqual({
      plan: 'burst',
      percent: 60,
      sample: 5,
      recoveryHours: 48,
      windowDays: 30,
      message: '60% of customers on the Burst plan who ran out topped up within 48 hours and kept working (5 cases in the last 30 days).',
    });
    await app.settle();
    const [depletion] = await mailTo(email);
    expect(depletion?.body.text).toContain('60% of customers on the Burst plan who ran out topped up within 48 hours');

    const growth = await newCustomer(app.url, 3, 'growth');
    const small = await call(app.url, 'POST', '/v1/queries', { token: growth.apiKey, body: { operation: 'report' } });
    expect(small.status).toBe(402);
    expect(small.body.socialProof).toBeUndefined();
    expect(JSON.stringify(small.body)).not.toMatch(/% of customers/);
  });
});
