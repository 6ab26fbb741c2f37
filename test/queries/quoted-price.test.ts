import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../functions/http/handler.ts';
import { resetPriceBook } from '../../functions/pricing/configured.ts';
import type { PriceBook } from '../../functions/pricing/price-book.ts';
import { queryRoutes } from '../../functions/queries/routes.ts';
import { catalogService } from '../../functions/queries/service.ts';
import { systemClock } from '../../functions/shared/clock.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.ts';
import { call, newCustomer } from '../support/http.ts';
import { pricing } from '../support/prices.ts';

/**
 * A parked query keeps the price it was quoted: the operator raises the export price between the
 * 402 and the resume (a redeploy with a new price book), and the resume still charges the old one.
 */
let app: TestApp;
let current: PriceBook = pricing;
const raised: PriceBook = { ...pricing, operations: { ...pricing.operations, export: 40 } };

/** A redeploy with another price book: both what the handlers were given and what they would read. */
function deploy(book: PriceBook) {
  current = book;
  process.env.TOLLGATE_PRICE_BOOK = JSON.stringify(book);
  resetPriceBook();
}

beforeAll(async () => {
  app = await startTestApp({
    lambdas: () => ({
      queries: (event, context) => httpHandler(queryRoutes({ service: catalogService, pricing: current, clock: systemClock }))(event, context),
    }),
  });
});
afterAll(async () => {
  deploy(pricing);
  await app.stop();
});

describe('a parked query after the price book changes', () => {
  it('resumes at the price it was quoted, while new queries pay the new price', async () => {
    expect(pricing.operations.export).toBe(25);
    const customer = await newCustomer(app.url, 20);
    const refused = await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'export', input: { category: 'tools' } } });
    expect(refused.status).toBe(402);
    expect(refused.body.balance).toMatchObject({ available: 20, required: 25, shortfall: 5 });

    deploy(raised);
    const topUp = await call(app.url, 'POST', `/v1/accounts/${customer.accountId}/top-ups`, {
      token: ADMIN_KEY,
      body: { credits: 10 },
      idempotencyKey: 'more',
    });
    expect(topUp.body.balance.available).toBe(30);

    const resumed = await call(app.url, 'POST', `/v1/queries/${refused.body.query.id}/resume`, { token: customer.apiKey });
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.headers.get('credits-charged')).toBe('25');
    expect(resumed.body).toMatchObject({ operation: 'export', status: 'completed', charged: 25, balance: { available: 5 } });

    const fresh = await call(app.url, 'POST', '/v1/queries', { token: customer.apiKey, body: { operation: 'export', input: { category: 'tools' } } });
    expect(fresh.status).toBe(402);
    expect(fresh.body.balance).toMatchObject({ available: 5, required: 40 });
  });
});
