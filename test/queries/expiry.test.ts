import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http/handler.ts';
import { queryRoutes } from '../../functions/queries/routes.ts';
import { catalogService } from '../../functions/queries/service.ts';
import type { Clock } from '../../functions/shared/clock.ts';
import { config } from '../../functions/shared/config.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

/** The queries handler reads "now" from this clock, so the resume window can be crossed without waiting. */
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ lambdas: () => ({ queries: httpHandler(queryRoutes({ service: catalogService, pricing, clock })) }) });
});
afterAll(() => app.stop());

const HOUR = 3_600_000;

async function parkedQuery() {
  const customer = await newCustomer(app.url, 5);
  const before = Date.now();
  const parked = await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'report' } });
  expect(parked.status).toBe(402);
  await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, { token: ADMIN_KEY, body: { credits: 100 }, idempotencyKey: 'cover-it' });
  return { customer, queryId: parked.body.query.id as string, expiresAt: Date.parse(parked.body.query.expiresAt), before, after: Date.now() };
}

describe('a parked query’s resume window', () => {
  it('ends PARKED_QUERY_TTL_HOURS after it was parked: not sooner, not later', async () => {
    const { expiresAt, before, after } = await parkedQuery();
    const ttl = config().PARKED_QUERY_TTL_HOURS * HOUR;
    expect(expiresAt).toBeGreaterThanOrEqual(before + ttl);
    expect(expiresAt).toBeLessThanOrEqual(after + ttl);
  });

  it('just before the deadline the query can still be resumed', async () => {
    const { customer, queryId, expiresAt } = await parkedQuery();
    offsetMs = expiresAt - Date.now() - 60_000;
    try {
      expect((await call(app.url, 'GET', `/v1/queries/${queryId}`, { token: customer.apiKey })).body.status).toBe('parked');
      expect((await call(app.url, 'POST', `/v1/queries/${queryId}/resume`, { token: customer.apiKey })).status).toBe(200);
    } finally {
      offsetMs = 0;
    }
  });

  it('after the deadline it is expired: GET says so, resuming is a 410 and charges nothing', async () => {
    const { customer, queryId, expiresAt } = await parkedQuery();
    offsetMs = expiresAt - Date.now() + 1000;
    try {
      const shown = await call(app.url, 'GET', `/v1/queries/${queryId}`, { token: customer.apiKey });
      expect(shown.body).toMatchObject({ id: queryId, status: 'expired', charged: 0 });
      const resumed = await call(app.url, 'POST', `/v1/queries/${queryId}/resume`, { token: customer.apiKey });
      expect(resumed.status).toBe(410);
      expect(resumed.body.type).toContain('/gone');
    } finally {
      offsetMs = 0;
    }
    expect((await call(app.url, 'GET', '/v1/balance', { token: customer.apiKey })).body.available).toBe(105);
  });
});
